import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Platform, Worker } from '../../platform-parts.js';
import { createWebhooks } from './create-webhooks.js';
import { JobWebhookResolver } from './job-webhook.resolver.js';

/**
 * Job webhooks: a signed `job.completed` event POSTed to AnalysisInput.webhookUrl
 * when the job ends (Standard Webhooks), retried on a schedule that survives
 * restarts and, with Redis, is shared by the replicas.
 */
export const webhooksModule: GatewayModule<Services> = {
  name: 'webhooks',
  resolvers: [JobWebhookResolver],
};

/** Job webhooks (WEBHOOK_SECRET): the service that checks webhookUrl, the delivery schedule, and `announceJobEnds` for the jobs' events. */
export function provideWebhooks({ db, redis, config, logger }: Platform) {
  const { service, schedule, announceJobEnds } = createWebhooks(db, redis, config.webhooks, logger);
  return { announceJobEnds, services: { webhooks: service } satisfies Partial<Services>, workers: [schedule] satisfies Worker[] };
}

export type Webhooks = ReturnType<typeof provideWebhooks>;
