import { setImmediate as yieldToRequests } from 'node:timers/promises';
import type { Logger } from '../../platform/logger.js';
import { addCounts, NOTHING_REMOVED, type DeletionService, type Removed } from './deletion.service.js';

/** RETENTION_DAYS and JOB_RETENTION_DAYS; null: kept for ever. */
export interface RetentionOptions {
  days: number | null;
  jobDays: number | null;
}

export interface RetentionResult extends Removed {
  jobs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** How often the sweep runs: retention is counted in days, so hourly keeps rows at most an hour past it. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes what is older than the retention periods: images stored more than
 * RETENTION_DAYS ago, with everything derived from them (through the same
 * path as deleteImage; no result is older than its image, so no older result
 * stays), and jobs that ended more than JOB_RETENTION_DAYS ago.
 * In batches of short transactions, yielding to requests between them; runs
 * in the background at start and hourly, and logs what it removed.
 */
export class RetentionSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deletion: Pick<DeletionService, 'expireImages' | 'expireJobs'>,
    private readonly options: RetentionOptions,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.options.days !== null || this.options.jobDays !== null;
  }

  /** Sweeps now (in the background) and every RETENTION_INTERVAL_MS until `stop`; nothing when both periods are off. */
  start(): void {
    if (!this.enabled) return;
    this.stopped = false;
    this.runInBackground();
    this.timer = setInterval(() => this.runInBackground(), RETENTION_INTERVAL_MS).unref();
  }

  /** No new round; waits for the current one, which ends at its next batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One round, as of `now`: what was older than the periods then is gone. */
  async sweep(now = new Date()): Promise<RetentionResult> {
    let result: RetentionResult = { ...NOTHING_REMOVED, jobs: 0 };
    const { days, jobDays } = this.options;
    if (days !== null) {
      const cutoff = new Date(now.getTime() - days * DAY_MS);
      result = await this.untilDone(result, () => this.deletion.expireImages(cutoff));
    }
    if (jobDays !== null) {
      const cutoff = new Date(now.getTime() - jobDays * DAY_MS);
      result = await this.untilDone(result, async () => ({ jobs: await this.deletion.expireJobs(cutoff) }));
    }
    return result;
  }

  /** Runs batches until one removes nothing (or the sweep is stopped), adding up their counts. */
  private async untilDone(total: RetentionResult, batch: () => Promise<Partial<RetentionResult>>): Promise<RetentionResult> {
    while (!this.stopped) {
      const removed = await batch();
      if (Object.values(removed).every((count) => count === 0)) break;
      total = addCounts(total, removed);
      await yieldToRequests();
    }
    return total;
  }

  private runInBackground(): void {
    if (this.running || this.stopped) return;
    this.running = this.sweep()
      .then(
        (removed) => this.logger.info({ removed, retentionDays: this.options.days, jobRetentionDays: this.options.jobDays }, 'retention sweep done'),
        (error: unknown) => this.logger.warn({ err: error }, 'retention sweep failed; the next round tries again'),
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
