import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { GatewayError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { ImageLookup, ImageRecord } from '../images/image.repository.js';
import type { ItemOutcome, JobItemRecord, JobRecord, JobRunStore } from './job.repository.js';
import type { AnswerResult, AnswerService } from '../answers/answer.service.js';
import type { AnswerRequest } from '../answers/answer-requests.js';
import type { AnswerKind } from '../answers/answer-kind.js';
import { moderationKind } from '../vision/kinds/moderation/moderation.kind.js';
import type { VisionService } from '../vision/vision.service.js';
import type { TokenBudget } from '../access/caller.js';
import { groupBy } from '../../platform/collections.js';
import type { JobEvents } from './job-events.js';
import { isFinal } from './job-streams.js';
import { inJobSpan } from '../../platform/tracing/gateway-spans.js';

/** The token budget that pays for a job's upstream calls (its submitter's key). */
export type BudgetForJob = (job: JobRecord) => Promise<TokenBudget>;

export interface JobRunnerOptions {
  /** Images of one job in flight at once (each is one upstream call for all its prompts). */
  imageConcurrency: number;
  itemRetries: number;
  retryDelayMs: number;
  budgetFor: BudgetForJob;
}

/** What JobRunner is made of. */
export interface JobRunnerParts {
  jobs: JobRunStore;
  /** The images of a job's items, by id. */
  images: ImageLookup;
  /** Asks the items, as for the synchronous API. */
  answers: AnswerService;
  /** What a moderation item asks. */
  vision: Pick<VisionService, 'request'>;
  /** Told of every change to a job's progress or status. */
  events: JobEvents;
  options: JobRunnerOptions;
  logger: Logger;
}

class TransientFailures extends Error {}

/** Set once the submitter's token budget refuses a call: the job asks nothing more. */
interface BudgetState {
  refusal: GatewayError | null;
}

/**
 * Runs one job through the same answer service as the synchronous API: the
 * cache, single flight, packing (one upstream call per image) and token
 * reservations all apply, and answers stored before a crash are not asked
 * again. When the submitter's budget refuses a call, the job's remaining
 * items end FAILED with that RATE_LIMITED error instead of being asked.
 * When the provider refuses to bill the account (MODEL_QUOTA_EXHAUSTED), the
 * items wait the refusal's retryAfter out and are asked again, their
 * attempts untouched: paying the bill is what they wait for, not luck.
 */
export class JobRunner {
  private readonly jobs: JobRunStore;
  private readonly images: ImageLookup;
  private readonly answers: AnswerService;
  private readonly vision: Pick<VisionService, 'request'>;
  private readonly events: JobEvents;
  private readonly options: JobRunnerOptions;
  private readonly logger: Logger;

  constructor(parts: JobRunnerParts) {
    ({ jobs: this.jobs, images: this.images, answers: this.answers, vision: this.vision, events: this.events, options: this.options, logger: this.logger } = parts);
  }

  /**
   * `stop` fires on cancel or shutdown: nothing more is sent upstream. `abort`
   * fires on cancel or when the shutdown grace ends: the upstream calls in
   * flight are aborted and their outcomes not recorded (the items stay
   * pending for the next start). Without it, in-flight calls finish and are recorded.
   */
  async run(jobId: string, stop: AbortSignal, abort?: AbortSignal): Promise<void> {
    const job = await this.jobs.markRunning(jobId);
    if (!job || isFinal(job)) return;
    this.events.publish(job);
    try {
      const pending = await this.jobs.pendingItems(jobId);
      const byImage = groupBy(pending, (item) => item.imageId);
      const imageIds = [...byImage.keys()].filter((id) => id !== null);
      // A deleted image (its items' imageId is null, or its row is gone) fails its items with NOT_FOUND.
      const images = new Map((await this.images.findByIds(job.tenant, imageIds)).map((image) => [image.id, image]));
      const budget = await this.options.budgetFor(job);
      const limit = pLimit(this.options.imageConcurrency);
      const spent: BudgetState = { refusal: null };
      // Under a span carrying the job id, the parent of the job's model-call spans (when tracing is on).
      await inJobSpan(jobId, () => Promise.all([...byImage].map(([imageId, items]) => limit(() => this.runImage(jobId, imageId === null ? undefined : images.get(imageId), items, budget, spent, stop, abort)))));
      if (!stop.aborted) await this.finish(jobId, spent);
    } catch (error) {
      this.logger.error({ err: error, jobId }, 'job failed unexpectedly');
      await this.end(jobId, 'FAILED', 'The job failed unexpectedly; the gateway logged the cause. Submit it again.');
    }
  }

  private async runImage(
    jobId: string,
    image: ImageRecord | undefined,
    items: JobItemRecord[],
    budget: TokenBudget,
    spent: BudgetState,
    stop: AbortSignal,
    abort: AbortSignal | undefined,
  ): Promise<void> {
    if (stop.aborted) return;
    if (!image) {
      await this.record(jobId, items.map((item) => failure(item, 1, new GatewayError('NOT_FOUND', 'The image was deleted.'))));
      return;
    }
    let remaining = items;
    await pRetry(
      async (attempt) => {
        if (stop.aborted) return;
        if (spent.refusal) {
          await this.record(jobId, remaining.map((item) => failure(item, attempt, spent.refusal!)));
          return;
        }
        const requests = remaining.map((item) => this.requestFor(item, image));
        const results = await this.answerPatiently(jobId, requests, budget, stop, abort);
        if (!results || abort?.aborted) return;
        const lastTry = attempt > this.options.itemRetries;
        const outcomes: ItemOutcome[] = [];
        const retry: JobItemRecord[] = [];
        results.forEach((result, i) => {
          const item = remaining[i]!;
          if (isBudgetRefusal(result)) spent.refusal ??= result;
          if (isTransient(result) && !lastTry) retry.push(item);
          else outcomes.push(result instanceof Error ? failure(item, attempt, result) : success(item, attempt, result));
        });
        await this.record(jobId, outcomes);
        remaining = retry;
        if (retry.length > 0) throw new TransientFailures(`${retry.length} items failed transiently`);
      },
      { retries: this.options.itemRetries, minTimeout: this.options.retryDelayMs, factor: 2, randomize: true },
    );
  }

  /**
   * Asks for the requests, then asks again for those refused for quota once
   * their wait is over, for as long as it takes; null when `stop` fires
   * while waiting (the items stay pending).
   */
  private async answerPatiently(
    jobId: string,
    requests: AnswerRequest[],
    budget: TokenBudget,
    stop: AbortSignal,
    abort: AbortSignal | undefined,
  ): Promise<Array<AnswerResult | Error> | null> {
    const results = await this.answers.answerAll(requests, budget, abort);
    for (;;) {
      const waiting = results.flatMap((result, i) => (isQuotaExhausted(result) ? [i] : []));
      if (waiting.length === 0 || abort?.aborted) return results;
      const seconds = Math.max(...waiting.map((i) => retryAfterOf(results[i]!)));
      this.logger.info({ jobId, items: waiting.length, seconds }, 'job items wait for the model quota (MODEL_QUOTA_EXHAUSTED)');
      const waited = await sleep(seconds * 1000, true, { signal: stop }).catch(() => false);
      if (!waited) return null;
      const again = await this.answers.answerAll(waiting.map((i) => requests[i]!), budget, abort);
      waiting.forEach((index, j) => (results[index] = again[j]!));
    }
  }

  /** The item as model work: a moderation as the vision service asks it (its reply format), others by their stored prompt. */
  private requestFor(item: JobItemRecord, image: ImageRecord): AnswerRequest {
    if (item.kind === moderationKind.name) return this.vision.request(moderationKind, image, false, undefined);
    return { image, kind: item.kind as AnswerKind, style: item.style, prompt: item.prompt, refresh: false };
  }

  private async record(jobId: string, outcomes: ItemOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const job = await this.jobs.recordOutcomes(jobId, outcomes);
    if (job) this.events.publish(job);
  }

  /** SUCCEEDED unless every item failed. */
  private async finish(jobId: string, spent: BudgetState): Promise<void> {
    const job = await this.jobs.findById(jobId);
    if (!job || isFinal(job)) return;
    if (job.total > 0 && job.failed === job.total) {
      const why = spent.refusal ? ` The key's token budget ran out: ${spent.refusal.message}` : '';
      await this.end(jobId, 'FAILED', `All ${job.total} items failed; see the items' errors.${why}`);
    } else {
      await this.end(jobId, 'SUCCEEDED', null);
    }
  }

  private async end(jobId: string, status: 'SUCCEEDED' | 'FAILED', error: string | null): Promise<void> {
    const job = await this.jobs.finish(jobId, status, error);
    if (job) this.events.publish(job);
  }
}

function isBudgetRefusal(result: AnswerResult | Error): result is GatewayError {
  return result instanceof GatewayError && result.code === 'RATE_LIMITED';
}

function isQuotaExhausted(result: AnswerResult | Error): result is GatewayError {
  return result instanceof GatewayError && result.code === 'MODEL_QUOTA_EXHAUSTED';
}

/** Seconds until asking again may succeed; one when the error does not say. */
function retryAfterOf(result: AnswerResult | Error): number {
  const seconds = result instanceof GatewayError ? result.extensions.retryAfter : undefined;
  return typeof seconds === 'number' && seconds >= 0 ? seconds : 1;
}

function isTransient(result: AnswerResult | Error): result is GatewayError {
  return result instanceof GatewayError && result.retryable;
}

function success(item: JobItemRecord, attempts: number, result: AnswerResult): ItemOutcome {
  return { itemId: item.id, attempts, answerId: result.record.id };
}

function failure(item: JobItemRecord, attempts: number, error: Error): ItemOutcome {
  // Only coded errors carry a message meant for people; anything else stays in the logs.
  if (error instanceof GatewayError) return { itemId: item.id, attempts, errorCode: error.code, error: error.message };
  return { itemId: item.id, attempts, errorCode: 'INTERNAL_SERVER_ERROR', error: 'Unexpected failure; the gateway logged the cause.' };
}
