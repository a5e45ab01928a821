import { forgetEncoded } from '../../model/upstream-image.js';
import type { ApiKeyService } from '../access/api-key.service.js';
import type { AnswerCache } from '../answers/answer-cache.js';
import type { StoredPrompts } from '../answers/stored-prompts.js';
import type { ImageCache } from '../images/image-cache.js';
import type { JobEvents } from '../jobs/job-events.js';
import type { JobRecord } from '../jobs/job.repository.js';
import type { RemovedImage } from './deletion.repository.js';

/**
 * What a running gateway must do once rows are deleted, beyond the
 * database: forget them in its memory caches, so nothing deleted is served
 * again, and tell job subscribers about items that failed. The tenants CLI,
 * a process of its own, has no memory to clear: NO_EFFECTS.
 */
export interface DeletionEffects {
  imagesDeleted(images: readonly RemovedImage[]): void;
  /** Originals removed from storage because no row uses their bytes any more. */
  blobsRemoved(sha256s: readonly string[]): void;
  answersDeleted(answerIds: ReadonlySet<string>): void;
  jobsChanged(jobs: readonly JobRecord[]): void;
  /** Every row and key of the tenant is gone: whatever memory still holds of it (images, answers, keys) must go too. */
  tenantErased(tenant: string): void;
}

export const NO_EFFECTS: DeletionEffects = {
  imagesDeleted: () => {},
  blobsRemoved: () => {},
  answersDeleted: () => {},
  jobsChanged: () => {},
  tenantErased: () => {},
};

/** This process's caches and job events. */
export class InProcessDeletionEffects implements DeletionEffects {
  constructor(
    private readonly imageCache: Pick<ImageCache, 'forget' | 'forgetTenant'>,
    private readonly answerCache: Pick<AnswerCache, 'forget'>,
    private readonly jobEvents: Pick<JobEvents, 'publish'>,
    private readonly keys: Pick<ApiKeyService, 'forgetTenant'>,
    /** Absent with REDIS_URL or PostgreSQL (answers/index.ts). */
    private readonly storedPrompts?: Pick<StoredPrompts, 'forgetImages' | 'forgetTenant'>,
  ) {}

  imagesDeleted(images: readonly RemovedImage[]): void {
    const ids = new Set(images.map((image) => image.id));
    this.imageCache.forget(ids);
    this.storedPrompts?.forgetImages(ids);
    // In CACHE_SCOPE=global an entry may hold another tenant's copy of the same bytes: that one stays.
    this.answerCache.forget((record) => ids.has(record.imageId));
  }

  /** Encoded data URLs are keyed by content: only bytes no row uses any more are dropped. */
  blobsRemoved(sha256s: readonly string[]): void {
    for (const sha256 of sha256s) forgetEncoded(sha256);
  }

  /** The stored prompts keep theirs: a prompt they hold is looked up in the store, so one left behind costs a lookup, never a wrong answer. */
  answersDeleted(answerIds: ReadonlySet<string>): void {
    this.answerCache.forget((record) => answerIds.has(record.id));
  }

  jobsChanged(jobs: readonly JobRecord[]): void {
    for (const job of jobs) this.jobEvents.publish(job);
  }

  /** In CACHE_SCOPE=global too: an answer the tenant paid for was erased with it, so no one is served it from memory. */
  tenantErased(tenant: string): void {
    this.imageCache.forgetTenant(tenant);
    this.answerCache.forget((record) => record.tenant === tenant);
    this.storedPrompts?.forgetTenant(tenant);
    this.keys.forgetTenant(tenant);
  }
}
