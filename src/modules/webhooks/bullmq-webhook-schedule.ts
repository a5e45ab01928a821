import { Queue, Worker } from 'bullmq';
import type { Logger } from '../../platform/logger.js';
import type { RedisConnections } from '../../platform/redis/connection.js';
import type { NextAttempt, WebhookDeliveries } from './webhook-deliveries.js';
import { DELIVERIES_AT_ONCE, DuePoll, type WebhookSchedule } from './webhook-schedule.js';

/** Its own queue, so a backlog of slow receivers never delays analysis jobs (and the reverse). */
const WEBHOOK_QUEUE = 'job-webhooks';

/** What BullMqWebhookSchedule is made of. */
export interface BullMqWebhookScheduleParts {
  deliveries: Pick<WebhookDeliveries, 'due' | 'attempt'>;
  connections: RedisConnections;
  /** WEBHOOK_POLL_MS: how often the database is swept for due attempts BullMQ lost. */
  pollMs: number;
  /** Longer than an attempt: BullMQ's lock on an entry being delivered. */
  lockMs: number;
  logger: Logger;
}

/**
 * Webhook attempts across replicas (REDIS_URL): one delayed BullMQ job per
 * attempt, with the id `<job id>-a<attempt>`, so every replica that learns of
 * the same attempt (the one that ended the job, the sweeps of all of them)
 * adds the same entry, which BullMQ keeps once; any replica's worker takes it
 * when its delay is over. Each attempt is also claimed in the database, so an
 * entry re-added after it ran (BullMQ forgets finished ones) makes nothing twice.
 * The sweep re-adds what the database says is due and BullMQ lost (Redis
 * flushed, or unreachable when the attempt was scheduled).
 */
export class BullMqWebhookSchedule implements WebhookSchedule {
  private readonly deliveries: Pick<WebhookDeliveries, 'due' | 'attempt'>;
  private readonly connections: RedisConnections;
  private readonly lockMs: number;
  private readonly logger: Logger;
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly poll: DuePoll;
  private stopped: Promise<void> | undefined;

  constructor(parts: BullMqWebhookScheduleParts) {
    ({ deliveries: this.deliveries, connections: this.connections, lockMs: this.lockMs, logger: this.logger } = parts);
    this.queue = new Queue(WEBHOOK_QUEUE, { connection: this.connections.open('webhook queue', 'worker'), prefix: this.connections.key('bull') });
    this.queue.on('error', (error) => this.onError(error));
    this.poll = new DuePoll(this.deliveries, parts.pollMs, (due) => this.add(due.map(({ jobId, attempt }) => ({ jobId, attempt, delayMs: 0 }))), this.logger);
  }

  async start(): Promise<void> {
    const worker = new Worker(WEBHOOK_QUEUE, async (entry) => this.process((entry.data as { jobId: string }).jobId), {
      connection: this.connections.open('webhook worker', 'worker'),
      prefix: this.connections.key('bull'),
      concurrency: DELIVERIES_AT_ONCE,
      lockDuration: this.lockMs,
    });
    worker.on('error', (error) => this.onError(error));
    this.worker = worker;
    await this.poll.start();
  }

  jobEnded(jobId: string): void {
    if (this.stopped) return;
    void this.add([{ jobId, attempt: 1, delayMs: 0 }]);
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.poll.stop();
    // close() takes no new entry and resolves once the attempts in flight here are recorded.
    await this.worker?.close();
    await this.queue.close();
  }

  private async process(jobId: string): Promise<void> {
    const next = await this.deliveries.attempt(jobId);
    if (next) await this.add([next]);
  }

  private async add(attempts: NextAttempt[]): Promise<void> {
    try {
      await this.queue.addBulk(
        attempts.map(({ jobId, attempt, delayMs }) => ({
          name: WEBHOOK_QUEUE,
          data: { jobId },
          opts: { jobId: `${jobId}-a${attempt}`, delay: delayMs, removeOnComplete: true, removeOnFail: true },
        })),
      );
    } catch (error) {
      // The database still says when each is due: the sweep adds it once Redis is back.
      if (!this.connections.unreachable) this.logger.warn({ err: error, jobs: attempts.length }, 'job webhook attempts not queued; the sweep queues them when due');
    }
  }

  private onError(error: Error): void {
    if (!this.connections.unreachable) this.logger.warn({ err: error }, 'job webhook queue error');
  }
}
