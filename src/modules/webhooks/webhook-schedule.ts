import PQueue from 'p-queue';
import type { Logger } from '../../platform/logger.js';
import type { NextAttempt, WebhookDeliveries } from './webhook-deliveries.js';

/**
 * When webhook attempts are made. The database says what is due (see
 * WebhookRepository); a schedule makes the attempts on time: at once when a
 * job ends, after the retry delay when one fails, and whatever it finds due
 * when it starts and every WEBHOOK_POLL_MS (a restart, a timer lost with a
 * process). In-process here; across replicas on BullMQ (bullmq-webhook-schedule.ts).
 */
export interface WebhookSchedule {
  /** The job has just ended: its webhook, if it has one, is due now. */
  jobEnded(jobId: string): void;
  start(): Promise<void>;
  /** No new attempts; resolves once those in flight (each at most WEBHOOK_TIMEOUT_MS) are recorded. */
  stop(): Promise<void>;
}

/** Attempts in flight at once per process: receivers are slow at worst, never many. */
export const DELIVERIES_AT_ONCE = 8;

/** Hands what the database says is due to `onDue`, at start and every `pollMs`. */
export class DuePoll {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deliveries: Pick<WebhookDeliveries, 'due'>,
    private readonly pollMs: number,
    private readonly onDue: (due: Array<{ jobId: string; attempt: number }>) => void | Promise<void>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    try {
      const due = await this.deliveries.due();
      if (due.length > 0) await this.onDue(due);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for job webhooks due; looking again');
    }
  }
}

/**
 * One process (no REDIS_URL): a timer per retry, the poll for the rest.
 * Several processes on one database without Redis stay correct: each attempt
 * is claimed in the database, so only one of them makes it.
 */
export class InProcessWebhookSchedule implements WebhookSchedule {
  private readonly queue = new PQueue({ concurrency: DELIVERIES_AT_ONCE });
  /** Jobs whose attempt waits in the queue or is in flight here: a sweep does not queue them twice. */
  private readonly pending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly poll: DuePoll;
  private stopping = false;

  constructor(
    private readonly deliveries: Pick<WebhookDeliveries, 'due' | 'attempt'>,
    pollMs: number,
    private readonly logger: Logger,
  ) {
    this.poll = new DuePoll(deliveries, pollMs, (due) => due.forEach(({ jobId }) => this.run(jobId)), logger);
  }

  start(): Promise<void> {
    return this.poll.start();
  }

  jobEnded(jobId: string): void {
    this.run(jobId);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.poll.stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.queue.clear();
    await this.queue.onIdle();
  }

  private run(jobId: string): void {
    if (this.stopping || this.pending.has(jobId)) return;
    this.pending.add(jobId);
    this.queue
      .add(async () => {
        try {
          const next = await this.deliveries.attempt(jobId);
          if (next) this.later(next);
        } finally {
          this.pending.delete(jobId);
        }
      })
      .catch((error: unknown) => this.logger.error({ err: error, jobId }, 'job webhook attempt crashed; the poll tries it again'));
  }

  private later({ jobId, delayMs }: NextAttempt): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.run(jobId);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }
}
