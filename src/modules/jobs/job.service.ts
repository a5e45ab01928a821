import { randomUUID } from 'node:crypto';
import { badInput, GatewayError, notFound } from '../../platform/errors.js';
import type { AnswerRecord } from '../answers/result.service.js';
import type { ImageRecord, ImageRepository } from '../images/image.repository.js';
import type { Uploader } from '../images/image.service.js';
import type { AnswerKind } from '../answers/answer-kind.js';
import { moderationKind } from '../vision/kinds/moderation/moderation.kind.js';
import type { VisionService } from '../vision/vision.service.js';
import type { ActiveWork, JobItemWithAnswer, JobRecord, JobRepository, JobStatus, NewJobItem } from './job.repository.js';
import type { Page, PageArgs } from '../../platform/database/pagination.js';
import { captionPrompt, normalizeQuestion, type CaptionStyle } from '../answers/prompts.js';
import type { Caller } from '../access/caller.js';
import { byKeys, groupsByKeys } from '../../platform/collections.js';
import type { JobEvents } from './job-events.js';
import type { JobQueue } from './job-queue.js';
import { isFinal, jobCompletion, jobUpdates } from './job-streams.js';
import { JOB_STATUSES } from './job-status.js';

/** The records this service hands out, for its callers (resolvers, loaders) to name without reaching the repository. */
export type { JobItemWithAnswer, JobRecord } from './job.repository.js';

export interface AnalysisInput {
  imageIds: readonly string[];
  captionStyles?: readonly CaptionStyle[] | null;
  questions?: readonly string[] | null;
  /** Adds a moderation verdict per image. */
  moderate?: boolean | null;
  /** Gets a signed job.completed event when the job ends (modules/webhooks). */
  webhookUrl?: string | null;
}

/** Checks a webhookUrl at submit (modules/webhooks' WebhookService): the URL to store, or a coded error. */
export interface WebhookTargets {
  target(webhookUrl: string): Promise<string>;
}

export interface JobLimits {
  maxItems: number;
  questionLength: number;
  /** Jobs QUEUED or RUNNING at once per tenant (JOB_MAX_ACTIVE_PER_TENANT). */
  maxActivePerTenant: number;
  /** Unanswered items across a tenant's active jobs (JOB_MAX_QUEUED_ITEMS_PER_TENANT). */
  maxQueuedItemsPerTenant: number;
}

/** How long a refused submitter is told to wait: jobs drain at model speed, so not seconds. */
const BUSY_RETRY_AFTER_SECONDS = 30;

const unique = <T>(values: readonly T[]) => [...new Set(values)];

/** What JobService is made of. */
export interface JobServiceParts {
  jobs: JobRepository;
  images: ImageRepository;
  /** Runs the jobs written, and stops those cancelled. */
  queue: JobQueue;
  events: JobEvents;
  limits: JobLimits;
  /** What a moderation item asks (its prompt is the request's). */
  vision: Pick<VisionService, 'request'>;
  webhooks: WebhookTargets;
}

/** Submitting, reading, cancelling and following analysis jobs. The work itself is JobRunner's. */
export class JobService {
  private readonly jobs: JobRepository;
  private readonly images: ImageRepository;
  private readonly queue: JobQueue;
  private readonly events: JobEvents;
  private readonly limits: JobLimits;
  private readonly vision: Pick<VisionService, 'request'>;
  private readonly webhooks: WebhookTargets;

  constructor(parts: JobServiceParts) {
    ({ jobs: this.jobs, images: this.images, queue: this.queue, events: this.events, limits: this.limits, vision: this.vision, webhooks: this.webhooks } = parts);
  }

  /**
   * Queues a moderation of images just stored (MODERATE_UPLOADS), as a job
   * of the uploader's, paid like a job it submitted. Best effort: a refusal (the tenant's job limits) leaves
   * the images unmoderated until asked, and is returned for the caller to log.
   */
  async moderateUploads(uploader: Uploader, images: readonly ImageRecord[]): Promise<JobRecord> {
    const items = images.map((image) => this.moderationItem(image));
    const job = await this.jobs.create({ id: randomUUID(), tenant: uploader.tenant, apiKeyId: uploader.apiKeyId }, items, (active) => this.admit(active, items.length));
    this.queue.enqueue(job.id);
    return job;
  }

  /** Validates everything, writes the job and its items, and only then answers: nothing submitted is lost. */
  async submit(caller: Caller, input: AnalysisInput): Promise<JobRecord> {
    const items = await this.plan(caller.tenant, input);
    const webhookUrl = input.webhookUrl == null ? null : await this.webhooks.target(input.webhookUrl);
    const job = await this.jobs.create({ id: randomUUID(), tenant: caller.tenant, apiKeyId: caller.apiKeyId }, items, (active) => this.admit(active, items.length), webhookUrl);
    this.queue.enqueue(job.id);
    return job;
  }

  async cancel(tenant: string, id: string): Promise<JobRecord> {
    const job = await this.get(tenant, id);
    if (isFinal(job)) return job;
    const cancelled = await this.jobs.finish(id, 'CANCELLED');
    if (!cancelled) return this.get(tenant, id); // it ended on its own meanwhile
    this.queue.cancel(id);
    this.events.publish(cancelled);
    return cancelled;
  }

  /** Another tenant's job is exactly as unknown as one that does not exist. */
  async get(tenant: string, id: string): Promise<JobRecord> {
    const job = await this.jobs.findForTenant(tenant, id);
    if (!job) throw notFound('job', id);
    return job;
  }

  async findMany(tenant: string, ids: readonly string[]): Promise<Array<JobRecord | null>> {
    return byKeys(ids, await this.jobs.findByIds(tenant, ids), (job) => job.id);
  }

  page(tenant: string, status: JobStatus | null, args: PageArgs): Promise<Page<JobRecord>> {
    return this.jobs.page(tenant, status, args);
  }

  /** Jobs per status, every status present (0 when no job has it), so dashboards need no absent() tricks. */
  async countByStatus(): Promise<Record<string, number>> {
    return { ...Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])), ...(await this.jobs.countByStatus()) };
  }

  /** Items with their stored answers, per job, in submission order. */
  async itemsOf(jobIds: readonly string[]): Promise<JobItemWithAnswer[][]> {
    return groupsByKeys(jobIds, await this.jobs.itemsOf(jobIds), (item) => item.jobId);
  }

  static answersOf(items: readonly JobItemWithAnswer[], kind: AnswerKind): AnswerRecord[] {
    return items.filter((item) => item.kind === kind && item.answer).map((item) => item.answer!);
  }

  updates(tenant: string, id: string): Promise<AsyncGenerator<JobRecord>> {
    return jobUpdates(this.events, (jobId) => this.jobs.findForTenant(tenant, jobId), id);
  }

  completion(tenant: string, id: string): Promise<AsyncGenerator<JobRecord>> {
    return jobCompletion(this.events, (jobId) => this.jobs.findForTenant(tenant, jobId), id);
  }

  /** One tenant's backlog is bounded, so it cannot fill the database or starve the others. */
  private admit(active: ActiveWork, newItems: number): void {
    const { maxActivePerTenant, maxQueuedItemsPerTenant } = this.limits;
    const busy = (message: string) => new GatewayError('RATE_LIMITED', message, { extensions: { retryAfter: BUSY_RETRY_AFTER_SECONDS } });
    if (active.jobs >= maxActivePerTenant) {
      throw busy(`${active.jobs} jobs are already queued or running for this tenant; the limit is ${maxActivePerTenant} (JOB_MAX_ACTIVE_PER_TENANT). Wait for one to finish, or cancel one.`);
    }
    if (active.pendingItems + newItems > maxQueuedItemsPerTenant) {
      throw busy(
        `This tenant's active jobs still have ${active.pendingItems} items to answer; with these ${newItems} it would pass ${maxQueuedItemsPerTenant} (JOB_MAX_QUEUED_ITEMS_PER_TENANT). Wait for them to drain.`,
      );
    }
  }

  private async plan(tenant: string, input: AnalysisInput): Promise<NewJobItem[]> {
    const imageIds = unique(input.imageIds);
    const styles = unique(input.captionStyles ?? []);
    const questions = unique((input.questions ?? []).map((q) => normalizeQuestion(q, this.limits.questionLength)));
    const moderations = input.moderate ? 1 : 0;
    if (imageIds.length === 0) throw badInput('imageIds is empty: name at least one image.');
    if (styles.length + questions.length + moderations === 0) throw badInput('Ask for at least one caption style or question, or moderate: true.');
    const total = imageIds.length * (styles.length + questions.length + moderations);
    if (total > this.limits.maxItems) {
      throw badInput(`This job has ${total} items (images × (styles + questions + moderation)); the limit is ${this.limits.maxItems} (JOB_MAX_ITEMS). Split it.`);
    }
    const found = new Map((await this.images.findByIds(tenant, imageIds)).map((image) => [image.id, image]));
    const missing = imageIds.find((id) => !found.has(id));
    if (missing) throw notFound('image', missing);
    return imageIds.flatMap((imageId) => [
      ...styles.map((style) => ({ imageId, kind: 'CAPTION' as const, style, prompt: captionPrompt(style) })),
      ...questions.map((prompt) => ({ imageId, kind: 'QUESTION' as const, style: null, prompt })),
      ...(moderations ? [this.moderationItem(found.get(imageId)!)] : []),
    ]);
  }

  private moderationItem(image: ImageRecord): NewJobItem {
    return { imageId: image.id, kind: moderationKind.name, style: null, prompt: this.vision.request(moderationKind, image, false, undefined).prompt };
  }
}
