import type { BlobStore } from '../../platform/blob-storage/blob-store.js';
import type { BlobsInFlight } from '../images/blobs-in-flight.js';
import type { ImageRepository } from '../images/image.repository.js';

/** What releasing some blobs removed. */
export interface ReleasedBlobs {
  /** The originals removed, by sha256. */
  originals: string[];
  thumbnails: number;
}

/**
 * Removes the bytes of deleted images that no image row points at any more:
 * blobs are shared by content across tenants, so a blob another row (of any
 * tenant) still uses stays. Thumbnails go first, then the original.
 * `removeUnless` asks again once a blob is aside, so an upload of the same
 * bytes racing the deletion (here: held in flight; elsewhere: its row
 * committed) keeps it.
 */
export class BlobRelease {
  constructor(
    private readonly blobs: Pick<BlobStore, 'derivedOf' | 'removeUnless'>,
    private readonly images: Pick<ImageRepository, 'blobInUse' | 'blobsInUse'>,
    private readonly inFlight: Pick<BlobsInFlight, 'has'>,
  ) {}

  async release(sha256s: readonly string[]): Promise<ReleasedBlobs> {
    const released: ReleasedBlobs = { originals: [], thumbnails: 0 };
    const unique = [...new Set(sha256s)];
    if (unique.length === 0) return released;
    const inUse = await this.images.blobsInUse(unique);
    for (const sha256 of unique.filter((sha) => !inUse.has(sha))) {
      const keep = async () => this.inFlight.has(sha256) || (await this.images.blobInUse(sha256));
      for (const key of await this.blobs.derivedOf(sha256)) if (await this.blobs.removeUnless(key, keep)) released.thumbnails++;
      if (await this.blobs.removeUnless(sha256, keep)) released.originals.push(sha256);
    }
    return released;
  }
}
