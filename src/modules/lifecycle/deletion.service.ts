import { MAX_PAGE_SIZE } from '../../platform/database/pagination.js';
import type { AnswerKind, ResultService } from '../answers/result.service.js';
import type { BlobRelease } from './blob-release.js';
import type { DeletionEffects } from './deletion-effects.js';
import type { DeletionRepository, RemovedWithImages } from './deletion.repository.js';

/** The filter of the captions and questions lists: deleteResults removes exactly what the list would show. */
export type ResultFilter = Parameters<ResultService['page']>[2];

/** deleteResults: one list filter per kind; a kind left out is not touched. */
export interface ResultsToDelete {
  captions?: ResultFilter | null;
  questions?: ResultFilter | null;
}

/** What a deletion removed, counted per kind of row, and the bytes no one used any more. */
export interface Removed {
  images: number;
  answers: number;
  conversations: number;
  imagesAnswers: number;
  /** Pending job items failed with NOT_FOUND. */
  failedItems: number;
  blobs: number;
  thumbnails: number;
}

export interface TenantErasure extends Removed {
  jobs: number;
  keys: number;
  usage: number;
}

export const NOTHING_REMOVED: Removed = { images: 0, answers: 0, conversations: 0, imagesAnswers: 0, failedItems: 0, blobs: 0, thumbnails: 0 };

/** Sums counts key by key. */
export function addCounts<T extends object>(total: T, more: Partial<T>): T {
  const sum = { ...total } as Record<string, number>;
  for (const [key, value] of Object.entries(more)) sum[key] = (sum[key] ?? 0) + (value as number);
  return sum as T;
}

/** Rows per batch: each batch is one short transaction, and others' requests run between batches. */
export const DELETION_BATCH = 200;

/**
 * Deletion of images, results and whole tenants (modules/lifecycle), and the
 * batches the retention sweep is made of. Every path goes through
 * `removeImages`: the rows (one transaction), then this process's caches
 * and job subscribers, then the blobs no row uses any more.
 */
export class DeletionService {
  constructor(
    private readonly rows: DeletionRepository,
    private readonly blobs: BlobRelease,
    private readonly results: Pick<ResultService, 'page'>,
    private readonly effects: DeletionEffects,
  ) {}

  /** Deletes the tenant's image and everything derived from it. Idempotent: false when there was no such image (any more). */
  async deleteImage(tenant: string, id: string): Promise<boolean> {
    return (await this.removeImages([id], tenant)).images > 0;
  }

  /** Deletes the tenant's captions and questions that the lists would show with these filters; how many. */
  async deleteResults(tenant: string, which: ResultsToDelete): Promise<number> {
    const kinds: Array<[AnswerKind, ResultFilter | null | undefined]> = [
      ['CAPTION', which.captions],
      ['QUESTION', which.questions],
    ];
    let deleted = 0;
    for (const [kind, filter] of kinds) {
      if (!filter) continue;
      // Always the first page: the previous one is gone. Paged through the lists' own query, so the filter means the same here.
      for (let more = true; more; ) {
        const page = await this.results.page(tenant, kind, filter, { first: MAX_PAGE_SIZE });
        const ids = page.items.map((row) => row.id);
        const count = ids.length > 0 ? await this.rows.deleteAnswers(tenant, ids) : 0;
        this.effects.answersDeleted(new Set(ids));
        deleted += count;
        more = page.hasNextPage && count > 0;
      }
    }
    return deleted;
  }

  /** Erases every row of the tenant, its keys, and the blobs no other tenant uses; then what memory holds of it. */
  async deleteTenant(tenant: string): Promise<TenantErasure> {
    let removed = NOTHING_REMOVED;
    for (let ids = await this.rows.imagesOfTenant(tenant, DELETION_BATCH); ids.length > 0; ids = await this.rows.imagesOfTenant(tenant, DELETION_BATCH)) {
      removed = addCounts(removed, await this.removeImages(ids, tenant));
    }
    const rest = await this.rows.deleteTenantRows(tenant);
    this.effects.tenantErased(tenant);
    return { ...addCounts(removed, { answers: rest.answers, conversations: rest.conversations, imagesAnswers: rest.imagesAnswers }), jobs: rest.jobs, keys: rest.keys, usage: rest.usage };
  }

  /**
   * One retention batch: images stored before `cutoff`, with what derives
   * from them. That is every result older than `cutoff` too: a result (an
   * answer, a multi-image answer, a conversation) is never older than its images.
   */
  async expireImages(cutoff: Date): Promise<Removed> {
    const ids = await this.rows.imagesCreatedBefore(cutoff, DELETION_BATCH);
    return ids.length === 0 ? NOTHING_REMOVED : this.removeImages(ids, null);
  }

  /** One retention batch: jobs that ended before `cutoff`; how many. */
  expireJobs(cutoff: Date): Promise<number> {
    return this.rows.deleteJobsFinishedBefore(cutoff, DELETION_BATCH);
  }

  private async removeImages(ids: readonly string[], tenant: string | null): Promise<Removed> {
    const removed: RemovedWithImages = await this.rows.deleteImages(ids, tenant);
    if (removed.images.length === 0) return NOTHING_REMOVED;
    this.effects.jobsChanged(removed.changedJobs);
    this.effects.imagesDeleted(removed.images);
    const released = await this.blobs.release(removed.images.map((image) => image.sha256));
    this.effects.blobsRemoved(released.originals);
    return {
      images: removed.images.length,
      answers: removed.answers,
      conversations: removed.conversations,
      imagesAnswers: removed.imagesAnswers,
      failedItems: removed.failedItems,
      blobs: released.originals.length,
      thumbnails: released.thumbnails,
    };
  }
}
