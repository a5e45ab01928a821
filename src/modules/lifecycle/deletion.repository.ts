import type { Db } from '../../platform/database/database.js';
import { FINAL_STATUSES, JobItemStatus } from '../jobs/job-status.js';
import type { JobRecord } from '../jobs/job.repository.js';

/**
 * The rows deletion removes, across the tables that point at an image.
 * Images go in one transaction each batch, with everything derived from
 * them: their answers, the conversations and multi-image answers that
 * include them (their text describes the image), and the links of job
 * items, which stay as the job's record (imageId and answerId set null by
 * the foreign keys); items still pending fail with NOT_FOUND and their jobs
 * count them, as a running job would. Every read of a batch is bounded by
 * `take`, so a sweep never holds the database for long.
 */

/** An image row removed: its id and the bytes it pointed at. */
export interface RemovedImage {
  id: string;
  tenant: string;
  sha256: string;
}

export interface RemovedWithImages {
  images: RemovedImage[];
  answers: number;
  conversations: number;
  imagesAnswers: number;
  /** Pending job items failed with NOT_FOUND. */
  failedItems: number;
  /** The jobs those items belong to, as they are now. */
  changedJobs: JobRecord[];
}

/** One `tenants delete`, as recorded for running gateways to notice (erasure-watch.ts). */
export interface TenantErasureRecord {
  id: number;
  tenant: string;
}

/** What a tenant's erasure removed besides its images. */
export interface RemovedTenantRows {
  jobs: number;
  conversations: number;
  imagesAnswers: number;
  answers: number;
  keys: number;
  /** Usage records (upstream calls and result tallies, modules/analytics). */
  usage: number;
}

export const IMAGE_DELETED = 'The image was deleted.';

const ids = (rows: ReadonlyArray<{ id: string }>) => rows.map((row) => row.id);

export class DeletionRepository {
  constructor(private readonly db: Db) {}

  /** Removes these images (those of `tenant` only, unless null) and what derives from them, in one transaction. */
  deleteImages(imageIds: readonly string[], tenant: string | null): Promise<RemovedWithImages> {
    return this.db.$transaction(
      async (tx) => {
        const images = await tx.image.findMany({ where: { id: { in: [...imageIds] }, ...(tenant === null ? {} : { tenant }) }, select: { id: true, tenant: true, sha256: true } });
        const removed = ids(images);
        if (removed.length === 0) return { images, answers: 0, conversations: 0, imagesAnswers: 0, failedItems: 0, changedJobs: [] };
        const pending = { imageId: { in: removed }, status: JobItemStatus.PENDING };
        const perJob = await tx.jobItem.groupBy({ by: ['jobId'], where: pending, _count: { _all: true } });
        await tx.jobItem.updateMany({ where: pending, data: { status: JobItemStatus.FAILED, errorCode: 'NOT_FOUND', error: IMAGE_DELETED } });
        const changedJobs: JobRecord[] = [];
        for (const { jobId, _count } of perJob) changedJobs.push(await tx.job.update({ where: { id: jobId }, data: { failed: { increment: _count._all } } }));
        const conversationIds = await tx.conversationImage.findMany({ where: { imageId: { in: removed } }, select: { conversationId: true }, distinct: ['conversationId'] });
        const conversations = await tx.conversation.deleteMany({ where: { id: { in: conversationIds.map((row) => row.conversationId) } } });
        const imagesAnswerIds = await tx.imagesAnswerImage.findMany({ where: { imageId: { in: removed } }, select: { imagesAnswerId: true }, distinct: ['imagesAnswerId'] });
        const imagesAnswers = await tx.imagesAnswer.deleteMany({ where: { id: { in: imagesAnswerIds.map((row) => row.imagesAnswerId) } } });
        const answers = await tx.answer.deleteMany({ where: { imageId: { in: removed } } });
        await tx.image.deleteMany({ where: { id: { in: removed } } });
        return {
          images,
          answers: answers.count,
          conversations: conversations.count,
          imagesAnswers: imagesAnswers.count,
          failedItems: perJob.reduce((sum, row) => sum + row._count._all, 0),
          changedJobs,
        };
      },
      // A batch on a busy database may take longer than Prisma's 5 s default.
      { maxWait: 10_000, timeout: 60_000 },
    );
  }

  /** Removes these answers of the tenant; how many. */
  async deleteAnswers(tenant: string, answerIds: readonly string[]): Promise<number> {
    return (await this.db.answer.deleteMany({ where: { id: { in: [...answerIds] }, tenant } })).count;
  }

  /** Up to `take` images (any tenant's, oldest first) stored before `cutoff`. */
  async imagesCreatedBefore(cutoff: Date, take: number): Promise<string[]> {
    return ids(await this.db.image.findMany({ where: { createdAt: { lt: cutoff } }, orderBy: { createdAt: 'asc' }, select: { id: true }, take }));
  }

  /** Up to `take` of the tenant's images. */
  async imagesOfTenant(tenant: string, take: number): Promise<string[]> {
    return ids(await this.db.image.findMany({ where: { tenant }, select: { id: true }, take }));
  }

  /** Removes up to `take` jobs that ended before `cutoff` (their items with them); never an active one. How many. */
  async deleteJobsFinishedBefore(cutoff: Date, take: number): Promise<number> {
    const found = ids(await this.db.job.findMany({ where: { finishedAt: { lt: cutoff }, status: { in: [...FINAL_STATUSES] } }, orderBy: { finishedAt: 'asc' }, select: { id: true }, take }));
    return found.length === 0 ? 0 : (await this.db.job.deleteMany({ where: { id: { in: found } } })).count;
  }

  /**
   * Everything of the tenant's that is left once its images are gone, keys and usage records included, in one
   * transaction, which also records the erasure for the running gateways to drop the tenant from memory.
   */
  deleteTenantRows(tenant: string): Promise<RemovedTenantRows> {
    return this.db.$transaction(
      async (tx) => {
        const removed = {
          jobs: (await tx.job.deleteMany({ where: { tenant } })).count,
          conversations: (await tx.conversation.deleteMany({ where: { tenant } })).count,
          imagesAnswers: (await tx.imagesAnswer.deleteMany({ where: { tenant } })).count,
          answers: (await tx.answer.deleteMany({ where: { tenant } })).count,
          keys: (await tx.apiKey.deleteMany({ where: { tenant } })).count,
          usage: (await tx.modelCall.deleteMany({ where: { tenant } })).count + (await tx.resultTally.deleteMany({ where: { tenant } })).count,
        };
        await tx.tenantErasure.create({ data: { tenant } });
        return removed;
      },
      { maxWait: 10_000, timeout: 120_000 },
    );
  }

  /** The erasures recorded after `id`, oldest first. */
  erasuresAfter(id: number): Promise<TenantErasureRecord[]> {
    return this.db.tenantErasure.findMany({ where: { id: { gt: id } }, orderBy: { id: 'asc' }, select: { id: true, tenant: true } });
  }

  /** The id of the latest erasure recorded (0: none yet). */
  async lastErasureId(): Promise<number> {
    return (await this.db.tenantErasure.findFirst({ orderBy: { id: 'desc' }, select: { id: true } }))?.id ?? 0;
  }
}
