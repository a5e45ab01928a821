import { randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/logger.js';
import type { RedisConnections } from '../../platform/redis/connection.js';
import { RedisChannel } from '../../platform/redis/channel.js';
import type { AnswerCache } from '../answers/answer-cache.js';
import type { JobRecord } from '../jobs/job.repository.js';
import type { RemovedImage } from './deletion.repository.js';
import type { DeletionEffects } from './deletion-effects.js';

/** What one replica tells the others to forget from memory. */
interface CacheChange {
  /** The replica that published it (it has applied it already). */
  from: string;
  imagesDeleted?: RemovedImage[];
  blobsRemoved?: string[];
  answersDeleted?: string[];
  /** Answer cache keys a refresh stored a new answer for. */
  answersReplaced?: string[];
  /** A tenant erased (`tenants delete`): its images, answers and keys leave every replica's memory. */
  tenantErased?: string;
}

/**
 * REDIS_URL: the memory caches of every replica kept in step. Deletions
 * (deleteImage, deleteResults, the retention sweep, `tenants delete` from
 * the CLI) and refreshes are applied here at once and published on `<prefix>:cache-changes`; every
 * other replica applies them to its own caches on receipt, so none goes on
 * serving a deleted image or a replaced answer from memory. Pub/sub keeps
 * nothing: a replica cut off from Redis when a change was published may
 * serve its stale copy until the entry leaves its LRU; the log says when
 * a change could not be published.
 */
export class ReplicaCaches implements DeletionEffects {
  private readonly id = randomUUID();
  private readonly channel: RedisChannel;
  private readonly publishing = new Set<Promise<void>>();

  constructor(
    private readonly local: DeletionEffects,
    private readonly answerCache: Pick<AnswerCache, 'drop'>,
    redis: RedisConnections,
    private readonly logger: Logger,
  ) {
    this.channel = new RedisChannel(redis, 'cache-changes', (message) => this.receive(message));
  }

  /** Starts receiving the other replicas' changes. */
  listen(): Promise<void> {
    return this.channel.listen();
  }

  imagesDeleted(images: readonly RemovedImage[]): void {
    this.local.imagesDeleted(images);
    this.publish({ imagesDeleted: [...images] });
  }

  blobsRemoved(sha256s: readonly string[]): void {
    this.local.blobsRemoved(sha256s);
    this.publish({ blobsRemoved: [...sha256s] });
  }

  answersDeleted(answerIds: ReadonlySet<string>): void {
    this.local.answersDeleted(answerIds);
    this.publish({ answersDeleted: [...answerIds] });
  }

  /** Job events reach every replica through the job events themselves. */
  jobsChanged(jobs: readonly JobRecord[]): void {
    this.local.jobsChanged(jobs);
  }

  tenantErased(tenant: string): void {
    this.local.tenantErased(tenant);
    this.publish({ tenantErased: tenant });
  }

  /** A refresh here replaced the key's answer (this replica's cache holds the new one already). */
  answerReplaced(key: string): void {
    this.publish({ answersReplaced: [key] });
  }

  /** Resolves once every change published so far has been sent (or failed): a CLI waits for it before closing Redis. */
  async published(): Promise<void> {
    await Promise.all(this.publishing);
  }

  private publish(change: Omit<CacheChange, 'from'>): void {
    const sent = this.channel.publish(JSON.stringify({ ...change, from: this.id })).catch((error: unknown) => {
      this.logger.error({ err: { message: (error as Error).message }, change: Object.keys(change) }, 'redis is unavailable: other replicas were not told to drop deleted or refreshed entries from memory');
    });
    this.publishing.add(sent);
    void sent.finally(() => this.publishing.delete(sent));
  }

  private receive(message: string): void {
    let change: CacheChange;
    try {
      change = JSON.parse(message) as CacheChange;
    } catch {
      this.logger.warn('a cache change from another replica could not be read; ignored');
      return;
    }
    if (change.from === this.id) return;
    if (change.imagesDeleted) this.local.imagesDeleted(change.imagesDeleted);
    if (change.blobsRemoved) this.local.blobsRemoved(change.blobsRemoved);
    if (change.answersDeleted) this.local.answersDeleted(new Set(change.answersDeleted));
    if (change.answersReplaced) this.answerCache.drop(change.answersReplaced);
    if (change.tenantErased) this.local.tenantErased(change.tenantErased);
  }
}
