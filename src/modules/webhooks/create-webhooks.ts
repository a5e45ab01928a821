import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/database/database.js';
import type { Logger } from '../../platform/logger.js';
import type { RedisConnections } from '../../platform/redis/connection.js';
import type { JobEvents } from '../jobs/job-events.js';
import { BullMqWebhookSchedule } from './bullmq-webhook-schedule.js';
import { announceJobEnds } from './job-end-announcer.js';
import { WebhookSigner } from './job-completed-event.js';
import { WebhookDeliveries } from './webhook-deliveries.js';
import { WebhookRepository } from './webhook.repository.js';
import { InProcessWebhookSchedule, type WebhookSchedule } from './webhook-schedule.js';
import { WebhookService } from './webhook.service.js';

/** What a BullMQ entry's lock must outlast: one attempt (WEBHOOK_TIMEOUT_MS) and its bookkeeping. */
const LOCK_MARGIN_MS = 30_000;

export interface Webhooks {
  service: WebhookService;
  /** Due attempts made on time; start and stop it with the other workers. */
  schedule: WebhookSchedule;
  /** Wraps the job events so that a job's end schedules its webhook at once. */
  announceJobEnds(events: JobEvents): JobEvents;
}

/**
 * The webhooks module's parts, wired: on BullMQ with REDIS_URL, in this
 * process otherwise. Without WEBHOOK_SECRET nothing is sent: webhookUrl is
 * refused at submit, and the schedule only finds rows stored while a secret was
 * set, which then wait (and are retried) until one is set again.
 */
export function createWebhooks(db: Db, redis: RedisConnections | null, config: Config['webhooks'], logger: Logger): Webhooks {
  const repository = new WebhookRepository(db);
  const service = new WebhookService(repository, config.secret !== null, { allowedHosts: config.allowedHosts });
  const { secret, allowedHosts, timeoutMs, retryDelaysMs } = config;
  const schedule: WebhookSchedule = secret === null ? IDLE : scheduleOf(new WebhookDeliveries(repository, new WebhookSigner(secret), { allowedHosts, timeoutMs, retryDelaysMs }, logger), redis, config, logger);
  return { service, schedule, announceJobEnds: (events) => (schedule === IDLE ? events : announceJobEnds(events, schedule)) };
}

function scheduleOf(deliveries: WebhookDeliveries, redis: RedisConnections | null, config: Config['webhooks'], logger: Logger): WebhookSchedule {
  return redis
    ? new BullMqWebhookSchedule({ deliveries, connections: redis, pollMs: config.pollMs, lockMs: config.timeoutMs + LOCK_MARGIN_MS, logger })
    : new InProcessWebhookSchedule(deliveries, config.pollMs, logger);
}

/** Without a secret nothing can be signed: nothing is delivered. */
const IDLE: WebhookSchedule = { jobEnded: () => {}, start: async () => {}, stop: async () => {} };
