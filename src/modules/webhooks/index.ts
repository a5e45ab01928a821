import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
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
