import { Prisma, type Answer, type Job, type JobItem } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';
import { fetchPage, type Page, type PageArgs } from '../../platform/database/pagination.js';
import { ACTIVE_STATUSES, JobItemStatus, JobStatus, type FinalStatus } from './job-status.js';

export type JobRecord = Job;
export type JobItemRecord = JobItem;
export type JobItemWithAnswer = JobItem & { answer: Answer | null };
export type { JobStatus };
export type NewJobItem = Pick<JobItem, 'imageId' | 'kind' | 'style' | 'prompt'>;

/** A tenant's jobs still queued or running, and their items not yet answered. */
export interface ActiveWork {
  jobs: number;
  pendingItems: number;
}

/** Rows per INSERT when writing a job's items. */
const ITEMS_PER_STATEMENT = 200;

export type ItemOutcome =
  | { itemId: string; attempts: number; answerId: string }
  | { itemId: string; attempts: number; errorCode: string; error: string };

/** What running a job reads and writes: JobRunner's whole need of the store. */
export interface JobRunStore {
  markRunning(id: string): Promise<JobRecord | null>;
  pendingItems(jobId: string): Promise<JobItemRecord[]>;
  recordOutcomes(jobId: string, outcomes: readonly ItemOutcome[]): Promise<JobRecord | null>;
  findById(id: string): Promise<JobRecord | null>;
  finish(id: string, status: FinalStatus, error?: string | null): Promise<JobRecord | null>;
}

export class JobRepository implements JobRunStore {
  constructor(private readonly db: Db) {}

  /**
   * The job and all its items in one transaction: a job is never visible
   * half-written. `admit` sees the tenant's active work inside that
   * transaction and throws to refuse. Items go in chunks, so a 1,000-item job
   * gives the event loop back between statements instead of holding it. A
   * `webhookUrl` gets its delivery row (modules/webhooks) in the same transaction.
   */
  async create(job: Pick<JobRecord, 'id' | 'tenant' | 'apiKeyId'>, items: readonly NewJobItem[], admit: (active: ActiveWork) => void, webhookUrl: string | null = null): Promise<JobRecord> {
    const { id } = job;
    const rows = items.map((item, position) => ({ ...item, id: `${id}:${position}`, jobId: id, position, status: JobItemStatus.PENDING }));
    return this.db.$transaction(
      async (tx) => {
        const active = await tx.job.aggregate({
          where: { tenant: job.tenant, status: { in: ACTIVE_STATUSES } },
          _count: { _all: true },
          _sum: { total: true, done: true, failed: true },
        });
        const { total, done, failed } = active._sum;
        admit({ jobs: active._count._all, pendingItems: (total ?? 0) - (done ?? 0) - (failed ?? 0) });
        const created = await tx.job.create({ data: { ...job, status: JobStatus.QUEUED, total: items.length, ...(webhookUrl !== null && { webhook: { create: { url: webhookUrl } } }) } });
        for (let start = 0; start < rows.length; start += ITEMS_PER_STATEMENT) {
          await tx.jobItem.createMany({ data: rows.slice(start, start + ITEMS_PER_STATEMENT) });
        }
        return created;
      },
      // A large job on a busy database may take longer than Prisma's 5 s default.
      { maxWait: 10_000, timeout: 60_000 },
    );
  }

  /** Unscoped: for the worker, which acts for the job's own tenant. */
  findById(id: string): Promise<JobRecord | null> {
    return this.db.job.findUnique({ where: { id } });
  }

  findForTenant(tenant: string, id: string): Promise<JobRecord | null> {
    return this.db.job.findFirst({ where: { id, tenant } });
  }

  findByIds(tenant: string, ids: readonly string[]): Promise<JobRecord[]> {
    return this.db.job.findMany({ where: { id: { in: [...ids] }, tenant } });
  }

  page(tenant: string, status: JobStatus | null, args: PageArgs): Promise<Page<JobRecord>> {
    const where = { tenant, ...(status ? { status } : {}) };
    return fetchPage(
      args,
      'desc',
      (window) => this.db.job.findMany({ where: { ...where, AND: window.where.AND }, orderBy: window.orderBy, take: window.take }),
      () => this.db.job.count({ where }),
    );
  }

  /** Jobs per status, for the metrics gauge. */
  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.job.groupBy({ by: ['status'], _count: { _all: true } });
    return Object.fromEntries(rows.map((row) => [row.status, row._count._all]));
  }

  async activeIds(): Promise<string[]> {
    const rows = await this.db.job.findMany({ where: { status: { in: ACTIVE_STATUSES } }, orderBy: { createdAt: 'asc' }, select: { id: true } });
    return rows.map((row) => row.id);
  }

  /** QUEUED → RUNNING; a job already running (resumed after a crash) keeps its startedAt. */
  async markRunning(id: string): Promise<JobRecord | null> {
    await this.db.job.updateMany({ where: { id, status: JobStatus.QUEUED }, data: { status: JobStatus.RUNNING, startedAt: new Date() } });
    return this.findById(id);
  }

  pendingItems(jobId: string): Promise<JobItemRecord[]> {
    return this.db.jobItem.findMany({ where: { jobId, status: JobItemStatus.PENDING }, orderBy: { position: 'asc' } });
  }

  itemsOf(jobIds: readonly string[]): Promise<JobItemWithAnswer[]> {
    return this.db.jobItem.findMany({ where: { jobId: { in: [...jobIds] } }, orderBy: [{ jobId: 'asc' }, { position: 'asc' }], include: { answer: true } });
  }

  /**
   * Records outcomes of still-pending items and moves the job's counters by
   * exactly the items it changed, in one transaction (a cancelled item stays
   * cancelled): one UPDATE for the successes, one for the failures, however many items.
   */
  async recordOutcomes(jobId: string, outcomes: readonly ItemOutcome[]): Promise<JobRecord | null> {
    const succeeded = outcomes.filter((outcome) => 'answerId' in outcome);
    const failed = outcomes.filter((outcome) => 'errorCode' in outcome);
    return this.db.$transaction(async (tx) => {
      const done = await settlePending(tx, jobId, JobItemStatus.SUCCEEDED, succeeded, { answerId: (o) => o.answerId });
      const failures = await settlePending(tx, jobId, JobItemStatus.FAILED, failed, { errorCode: (o) => o.errorCode, error: (o) => o.error });
      if (done + failures === 0) return tx.job.findUnique({ where: { id: jobId } });
      return tx.job.update({ where: { id: jobId }, data: { done: { increment: done }, failed: { increment: failures } } });
    });
  }

  /** Ends an active job; returns null when it had already ended. */
  async finish(id: string, status: FinalStatus, error: string | null = null): Promise<JobRecord | null> {
    return this.db.$transaction(async (tx) => {
      const { count } = await tx.job.updateMany({ where: { id, status: { in: ACTIVE_STATUSES } }, data: { status, error, finishedAt: new Date() } });
      if (count === 0) return null;
      if (status === JobStatus.CANCELLED) await tx.jobItem.updateMany({ where: { jobId: id, status: JobItemStatus.PENDING }, data: { status: JobItemStatus.CANCELLED } });
      return tx.job.findUnique({ where: { id } });
    });
  }
}

type Tx = Pick<Db, '$executeRaw'>;

/**
 * Moves the job's still-pending items among `outcomes` to `status`, each
 * with its own attempts and `columns`, in one UPDATE (a CASE on the item id
 * per column); returns how many it changed. Raw SQL because Prisma updates
 * rows with different values one statement each.
 */
function settlePending<T extends ItemOutcome>(tx: Tx, jobId: string, status: string, outcomes: readonly T[], columns: Record<string, (outcome: T) => string>): Promise<number> {
  if (outcomes.length === 0) return Promise.resolve(0);
  const perItem = (value: (outcome: T) => string | number) => Prisma.sql`CASE "id" ${Prisma.join(outcomes.map((o) => Prisma.sql`WHEN ${o.itemId} THEN ${value(o)}`), ' ')} END`;
  const assignments = [
    Prisma.sql`"status" = ${status}`,
    // CAST: PostgreSQL reads the CASE's parameters as text.
    Prisma.sql`"attempts" = CAST(${perItem((o) => o.attempts)} AS INTEGER)`,
    ...Object.entries(columns).map(([column, value]) => Prisma.sql`${Prisma.raw(`"${column}"`)} = ${perItem(value)}`),
  ];
  return tx.$executeRaw`UPDATE "JobItem" SET ${Prisma.join(assignments, ', ')} WHERE "jobId" = ${jobId} AND "status" = ${JobItemStatus.PENDING} AND "id" IN (${Prisma.join(outcomes.map((o) => o.itemId))})`;
}
