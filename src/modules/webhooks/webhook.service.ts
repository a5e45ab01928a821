import { GatewayError } from '../../platform/errors.js';
import { byKeys } from '../../platform/collections.js';
import type { WebhookRecord, WebhookRepository } from './webhook.repository.js';
import { checkWebhookUrl, type WebhookGuard } from './webhook-url.js';

export type { WebhookRecord } from './webhook.repository.js';

/** What submitAnalysis and Job.webhook ask of webhooks; delivery is WebhookDeliveries' and a schedule's. */
export class WebhookService {
  constructor(
    private readonly webhooks: WebhookRepository,
    /** WEBHOOK_SECRET: without it nothing could be signed, so no webhookUrl is accepted. */
    private readonly signing: boolean,
    private readonly guard: WebhookGuard,
  ) {}

  /** The webhookUrl to store with a job, checked now; BAD_USER_INPUT when it cannot be accepted. */
  async target(webhookUrl: string): Promise<string> {
    if (!this.signing) {
      throw new GatewayError('BAD_USER_INPUT', 'This gateway sends no webhooks: WEBHOOK_SECRET is not set. Submit without webhookUrl (and follow the job with jobCompleted), or ask its operator to set WEBHOOK_SECRET.');
    }
    return (await checkWebhookUrl(webhookUrl, this.guard)).href;
  }

  /** Each job's webhook, or null when it was submitted without one, in key order. */
  async ofJobs(jobIds: readonly string[]): Promise<Array<WebhookRecord | null>> {
    return byKeys(jobIds, await this.webhooks.ofJobs(jobIds), (webhook) => webhook.jobId);
  }
}
