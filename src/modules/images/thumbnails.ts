import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import sharp from 'sharp';
import { GatewayError } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import { thumbnailKey, type BlobKey, type BlobStore } from '../../platform/blob-storage/blob-store.js';

/**
 * WebP thumbnails, rendered once with sharp and kept as blobs, so a later
 * request (here, on another replica, or after a restart) does no image work.
 * Concurrent requests for one thumbnail share one rendering; renderings run a
 * few at a time, so a grid of new thumbnails cannot hold every original in memory.
 */
export class Thumbnails {
  private readonly pending = new Map<BlobKey, Promise<number>>();
  private readonly limit = pLimit(availableParallelism());

  constructor(
    private readonly blobs: BlobStore,
    private readonly metrics: Metrics,
  ) {}

  /** The stored thumbnail whose longest side is `size` (at most the original's: never enlarged), made if absent. */
  async ensure(sha256: string, size: number): Promise<{ key: BlobKey; byteSize: number }> {
    const key = thumbnailKey(sha256, size);
    let byteSize = this.pending.get(key);
    if (!byteSize) {
      // Set synchronously, before any await, so every concurrent caller finds it.
      byteSize = this.storedOrRendered(sha256, size, key).finally(() => this.pending.delete(key));
      this.pending.set(key, byteSize);
    }
    return { key, byteSize: await byteSize };
  }

  private async storedOrRendered(sha256: string, size: number, key: BlobKey): Promise<number> {
    const stored = await this.blobs.size(key);
    if (stored !== null) return stored;
    const bytes = await this.limit(() => this.render(sha256, size));
    await this.blobs.write(key, bytes);
    return bytes.length;
  }

  private async render(sha256: string, size: number): Promise<Buffer> {
    const original = await this.blobs.read(sha256);
    // Stored images passed MAX_IMAGE_PIXELS at upload; rotate() applies the EXIF orientation.
    const bytes = await sharp(original, { failOn: 'truncated', limitInputPixels: false })
      .rotate()
      .resize({ width: size, height: size, fit: 'inside', withoutEnlargement: true })
      .webp()
      .toBuffer()
      .catch((error: unknown) => {
        // Uploads prove structure, not pixels (image-structure.ts): damage a decoder finds is the uploader's to fix.
        throw new GatewayError('BAD_USER_INPUT', 'The image is corrupt: its data cannot be decoded, so it has no thumbnail. Upload a whole copy.', { cause: error });
      });
    this.metrics.thumbnailsGenerated.inc();
    return bytes;
  }
}
