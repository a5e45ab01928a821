import type { Logger } from '../../platform/logger.js';
import { originalOf, type BlobKey, type BlobStore } from '../../platform/blob-storage/blob-store.js';
import type { ImageRepository } from './image.repository.js';
import type { BlobsInFlight } from './blobs-in-flight.js';

/**
 * Removes what a crash (SIGKILL, power loss) leaves behind: blobs no image
 * row points at (originals, and thumbnails of an original without a row) and
 * temporary upload files. Only what was last written longer ago than any
 * upload can take: Node's HTTP server gives a request at most five minutes
 * (requestTimeout) to arrive, and a blob is stamped when put, moments before
 * its row commits. A blob a row points at is never removed, nor one an upload
 * in this process is storing; `removeUnless` closes the race with uploads
 * elsewhere (another replica on the same files). Runs at start, then hourly,
 * so leftovers too young at start go on the next round.
 */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

/** Blobs checked against the database per query. */
const CHUNK = 500;

export interface SweepResult {
  blobs: number;
  temporaries: number;
}

export class OrphanSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly blobs: BlobStore,
    private readonly images: ImageRepository,
    private readonly inFlight: BlobsInFlight,
    private readonly logger: Logger,
  ) {}

  /** Sweeps now (in the background) and every ORPHAN_MIN_AGE_MS until `stop`. */
  start(): void {
    this.stopped = false;
    this.runInBackground();
    this.timer = setInterval(() => this.runInBackground(), ORPHAN_MIN_AGE_MS).unref();
  }

  /** No new round; waits for the current one, which ends at its next chunk. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(now = new Date()): Promise<SweepResult> {
    const before = new Date(now.getTime() - ORPHAN_MIN_AGE_MS);
    const temporaries = await this.blobs.removeTemporariesBefore(before);
    let blobs = 0;
    let chunk: BlobKey[] = [];
    for await (const key of this.blobs.blobsWrittenBefore(before)) {
      chunk.push(key);
      if (chunk.length < CHUNK) continue;
      blobs += await this.sweepChunk(chunk, before);
      chunk = [];
      if (this.stopped) return { blobs, temporaries };
    }
    blobs += await this.sweepChunk(chunk, before);
    return { blobs, temporaries };
  }

  private async sweepChunk(keys: readonly BlobKey[], before: Date): Promise<number> {
    if (keys.length === 0) return 0;
    const inUse = await this.images.blobsInUse([...new Set(keys.map(originalOf))]);
    let removed = 0;
    for (const key of keys) {
      const sha256 = originalOf(key);
      if (inUse.has(sha256) || this.inFlight.has(sha256)) continue;
      // Checked again once the blob is aside: an upload may have put it or committed its row meanwhile.
      const keep = async (writtenAt: Date) => writtenAt >= before || this.inFlight.has(sha256) || (await this.images.blobInUse(sha256));
      if (await this.blobs.removeUnless(key, keep)) removed++;
    }
    return removed;
  }

  private runInBackground(): void {
    if (this.running || this.stopped) return;
    this.running = this.sweep()
      .then(
        (removed) => this.logger.info({ removed, olderThanMs: ORPHAN_MIN_AGE_MS }, 'orphan sweep done'),
        (error: unknown) => this.logger.warn({ err: error }, 'orphan sweep failed; the next round tries again'),
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
