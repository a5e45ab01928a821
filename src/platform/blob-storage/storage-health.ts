import type { Logger } from '../logger.js';
import type { BlobKey, StorageMonitor } from './blob-store.js';
import { diskFaultCode } from './disk-faults.js';

/**
 * What the operator hears about storage. A full or failing disk starts an
 * episode: logged at error level once (not once per refused upload), reported
 * by /readyz until a write goes through again, which ends it (logged at info).
 * While one lasts, each readiness check tries a small write, so a freed disk
 * is noticed without waiting for an upload. Lost or damaged blobs are logged
 * each time one is met: only the operator can tell why they went.
 */
export class StorageHealth implements StorageMonitor {
  private episode: { code: string; since: Date } | undefined;

  constructor(private readonly logger: Logger) {}

  diskFault(error: unknown): void {
    if (this.episode) return;
    const code = diskFaultCode(error) ?? 'unknown';
    this.episode = { code, since: new Date() };
    this.logger.error(
      { err: error, code },
      'storage is full or failing: uploads answer STORAGE_FULL (507) and /readyz reports it until writes succeed again; free space under DATA_DIR',
    );
  }

  diskWritable(): void {
    if (!this.episode) return;
    this.logger.info({ code: this.episode.code, since: this.episode.since.toISOString() }, 'storage is writable again: uploads are accepted');
    this.episode = undefined;
  }

  blobLost(key: BlobKey, reason: 'missing' | 'damaged'): void {
    this.logger.error(
      { blob: key, reason },
      reason === 'missing'
        ? 'an image blob is missing: requests that need it answer BLOB_MISSING until it is restored or uploaded again'
        : 'an image blob is damaged (its bytes no longer match its sha256): it is not used; restore it or have it uploaded again',
    );
  }

  /** Ready unless an episode lasts; `probe` (a small write) is tried first and ends the episode when it succeeds. */
  async readiness(probe: () => Promise<void>): Promise<{ ok: boolean; reason?: string }> {
    if (this.episode) await probe().catch(() => undefined); // a failure keeps the episode, which says why
    const episode = this.episode;
    if (!episode) return { ok: true };
    return { ok: false, reason: `storage full or failing (${episode.code}) since ${episode.since.toISOString()}: free space under DATA_DIR` };
  }
}
