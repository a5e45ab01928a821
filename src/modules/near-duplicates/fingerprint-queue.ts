import { EventEmitter, once } from 'node:events';
import pLimit from 'p-limit';
import type { Logger } from '../../platform/logger.js';

/**
 * Fingerprints of new uploads, computed after the upload has answered: a
 * small decode per image, one at a time, so an upload's latency and a burst
 * of uploads' CPU stay as they were. Bounded: beyond `maxWaiting` bytes the
 * rest are left to the lazy path (Image.nearDuplicates) and `npm run fingerprints`.
 */
export class FingerprintQueue {
  private readonly limit = pLimit(1);
  private readonly queued = new Set<string>();
  private readonly events = new EventEmitter();
  private stopped = false;

  constructor(
    private readonly fingerprint: (sha256: string) => Promise<unknown>,
    private readonly logger: Logger,
    private readonly maxWaiting = 1000,
  ) {}

  /** Queues these bytes (once each, however many rows or uploads name them); never throws. */
  add(sha256s: readonly string[]): void {
    for (const sha256 of sha256s) {
      if (this.stopped || this.queued.has(sha256)) continue;
      if (this.queued.size >= this.maxWaiting) {
        this.logger.warn({ sha256, waiting: this.queued.size }, 'fingerprint queue full: left for Image.nearDuplicates or `npm run fingerprints`');
        continue;
      }
      this.queued.add(sha256);
      void this.limit(() => (this.stopped ? undefined : this.fingerprint(sha256)))
        .catch((error: unknown) => this.logger.warn({ err: error, sha256 }, 'fingerprint of an upload failed: left for Image.nearDuplicates or `npm run fingerprints`'))
        .finally(() => {
          this.queued.delete(sha256);
          if (this.queued.size === 0) this.events.emit('idle');
        });
    }
  }

  /** Resolves once nothing is queued or running (at once if nothing is). */
  async settled(): Promise<void> {
    if (this.queued.size > 0) await once(this.events, 'idle');
  }

  /** Takes nothing new; what waits is skipped and the one running finishes (before the database closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }
}
