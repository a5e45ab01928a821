import { Webhook } from 'standardwebhooks';
import type { JobRecord } from '../jobs/job.repository.js';

/** The event type of every job webhook. */
export const JOB_COMPLETED = 'job.completed';

/**
 * The `webhook-id` of a job's event: one event per job, so derived from its
 * id, and the same on every attempt (receivers use it to drop repeats).
 */
export const webhookIdOf = (jobId: string): string => `msg_${jobId}`;

/**
 * The body of a job's `job.completed` event, in the Standard Webhooks shape
 * `{type, timestamp, data}`. Built from the ended job, which no longer
 * changes, so every attempt sends the same bytes.
 */
export function jobCompletedPayload(job: JobRecord): string {
  const finishedAt = (job.finishedAt ?? job.createdAt).toISOString();
  return JSON.stringify({
    type: JOB_COMPLETED,
    timestamp: finishedAt,
    data: { id: job.id, status: job.status, total: job.total, done: job.done, failed: job.failed, error: job.error, finishedAt },
  });
}

/**
 * Signs with the `standardwebhooks` library: `webhook-signature` is `v1,` and
 * the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under
 * WEBHOOK_SECRET's key. The timestamp is the attempt's, as receivers reject
 * old ones (5 minutes in the library's verify).
 */
export class WebhookSigner {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    this.webhook = new Webhook(secret);
  }

  headers(webhookId: string, sentAt: Date, body: string): Record<string, string> {
    return {
      'content-type': 'application/json',
      'user-agent': 'qwen-vl-gateway-webhooks',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': this.webhook.sign(webhookId, sentAt, body),
    };
  }
}
