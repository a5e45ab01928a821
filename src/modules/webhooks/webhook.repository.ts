import type { JobWebhook } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';
import { FINAL_STATUSES } from '../jobs/job-status.js';
import type { JobRecord } from '../jobs/job.repository.js';
import type { AttemptOutcome } from './webhook-sender.js';

export type WebhookRecord = JobWebhook;

/** An attempt this process claimed: the webhook, its ended job, and the attempt's number (1 for the first). */
export interface ClaimedAttempt {
  webhook: WebhookRecord;
  job: JobRecord;
  attempt: number;
}

/** Webhooks handed to a schedule per sweep: the rest wait for the next. */
const DUE_PER_SWEEP = 200;

/**
 * The delivery state of job webhooks (one row per job that asked for one,
 * written with the job). The database is the truth of what is due, so a
 * restart, another replica or a lost timer changes nothing: whoever looks
 * finds the same due rows, and `claim` lets exactly one of them make each attempt.
 */
export class WebhookRepository {
  constructor(private readonly db: Db) {}

  ofJobs(jobIds: readonly string[]): Promise<WebhookRecord[]> {
    return this.db.jobWebhook.findMany({ where: { jobId: { in: [...jobIds] } } });
  }

  /** Webhooks due at `now`, with the number of their next attempt: oldest due first. */
  async due(now: Date): Promise<Array<{ jobId: string; attempt: number }>> {
    const rows = await this.db.jobWebhook.findMany({
      where: dueWhere(now),
      orderBy: { nextAttemptAt: 'asc' },
      take: DUE_PER_SWEEP,
      select: { jobId: true, attempts: true },
    });
    return rows.map((row) => ({ jobId: row.jobId, attempt: row.attempts + 1 }));
  }

  /**
   * Claims the next attempt of the job's webhook if it is due: one conditional
   * UPDATE moves `attempts` on from the value read, so of several processes
   * that read the same row one wins. The claim lasts `leaseMs` (nextAttemptAt):
   * if its process dies mid-attempt, the webhook is due again after it.
   */
  async claim(jobId: string, now: Date, leaseMs: number): Promise<ClaimedAttempt | null> {
    const found = await this.db.jobWebhook.findFirst({ where: { jobId, ...dueWhere(now) }, include: { job: true } });
    if (!found) return null;
    const { job, ...webhook } = found;
    const attempt = webhook.attempts + 1;
    const { count } = await this.db.jobWebhook.updateMany({
      where: { jobId, attempts: webhook.attempts, deliveredAt: null },
      data: { attempts: attempt, nextAttemptAt: new Date(now.getTime() + leaseMs) },
    });
    return count === 1 ? { webhook: { ...webhook, attempts: attempt }, job, attempt } : null;
  }

  /** Records how a claimed attempt went, unless a later attempt was claimed meanwhile (this one outlived its lease). */
  async record(jobId: string, attempt: number, outcome: AttemptOutcome, at: Date, nextAttemptAt: Date | null): Promise<void> {
    await this.db.jobWebhook.updateMany({
      where: { jobId, attempts: attempt, deliveredAt: null },
      data: outcome.delivered
        ? { lastStatus: outcome.status, lastError: null, deliveredAt: at, nextAttemptAt: null }
        : { lastStatus: outcome.status, lastError: outcome.error, nextAttemptAt },
    });
  }
}

/** Due: its job ended, not delivered, and never tried or its next attempt (or a dead claim) is past. */
function dueWhere(now: Date) {
  return {
    deliveredAt: null,
    job: { status: { in: [...FINAL_STATUSES] } },
    OR: [{ attempts: 0 }, { nextAttemptAt: { lte: now } }],
  };
}
