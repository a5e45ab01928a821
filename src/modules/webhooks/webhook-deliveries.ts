import type { Logger } from '../../platform/logger.js';
import type { HostResolver } from '../imports/index.js';
import { jobCompletedPayload, webhookIdOf, type WebhookSigner } from './job-completed-event.js';
import type { WebhookRepository } from './webhook.repository.js';
import { sendWebhook } from './webhook-sender.js';

export interface WebhookDeliveryOptions {
  allowedHosts: readonly string[];
  timeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE: the wait before retry 1, 2, …; given up after the last. */
  retryDelaysMs: readonly number[];
  lookup?: HostResolver;
}

/** The attempt a schedule should make next, and when. */
export interface NextAttempt {
  jobId: string;
  attempt: number;
  delayMs: number;
}

/**
 * A claim outlives the attempt it covers (at most WEBHOOK_TIMEOUT_MS) by this
 * much: a process that died mid-attempt leaves the webhook due again after it.
 */
const CLAIM_MARGIN_MS = 30_000;

/**
 * Makes one attempt at a job's webhook: claims it (so no other process makes
 * the same attempt), signs and POSTs the job's `job.completed` event, and
 * records the outcome with the time of the next attempt from the retry
 * schedule. When to call it is a schedule's business (webhook-schedule.ts).
 */
export class WebhookDeliveries {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly signer: WebhookSigner,
    private readonly options: WebhookDeliveryOptions,
    private readonly logger: Logger,
  ) {}

  /** Webhooks due now, each with the number of its next attempt. */
  due(): Promise<Array<{ jobId: string; attempt: number }>> {
    return this.webhooks.due(new Date());
  }

  /** The next attempt of the job's webhook, if it is due and no one else took it; what to try after, or null. */
  async attempt(jobId: string): Promise<NextAttempt | null> {
    const claimed = await this.webhooks.claim(jobId, new Date(), this.options.timeoutMs + CLAIM_MARGIN_MS);
    if (!claimed) return null;
    const { webhook, job, attempt } = claimed;
    const body = jobCompletedPayload(job);
    const sentAt = new Date();
    const outcome = await sendWebhook(new URL(webhook.url), body, this.signer.headers(webhookIdOf(jobId), sentAt, body), this.options);
    const delayMs = outcome.delivered ? undefined : this.options.retryDelaysMs[attempt - 1];
    const next = delayMs === undefined ? null : { jobId, attempt: attempt + 1, delayMs };
    await this.webhooks.record(jobId, attempt, outcome, new Date(), next && new Date(Date.now() + next.delayMs));
    // The URL is not logged: its path or query may carry the receiver's token.
    const fields = { jobId, attempt, status: outcome.status, origin: new URL(webhook.url).origin };
    if (outcome.delivered) this.logger.info(fields, 'job webhook delivered');
    else if (next) this.logger.warn({ ...fields, error: outcome.error, retryInMs: next.delayMs }, 'job webhook attempt failed; retrying');
    else this.logger.warn({ ...fields, error: outcome.error }, 'job webhook attempt failed; retry schedule used up, given up');
    return next;
  }
}
