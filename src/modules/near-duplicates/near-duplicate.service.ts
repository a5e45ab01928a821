import type { BlobStore } from '../../platform/blob-storage/blob-store.js';
import type { ImageRecord } from '../images/image.service.js';
import { fingerprintOf, gridDifference, gridsMatch, hammingDistance, type Fingerprint } from './fingerprint.js';
import { FingerprintQueue } from './fingerprint-queue.js';
import type { Logger } from '../../platform/logger.js';
import { storedFingerprint, type FingerprintRepository } from './fingerprint.repository.js';
import { bandNeighbours, bandRadius, bandsOf } from './hash-bands.js';

/** The record this service hands out, for its callers to name without reaching the repository. */
export type { ImageRecord } from '../images/image.service.js';

export interface NearDuplicateSettings {
  /** NEAR_DUPLICATE_DISTANCE: the most bits the 64-bit hashes of near-duplicates differ in. */
  distance: number;
}

export class NearDuplicateService {
  private readonly queue: FingerprintQueue;

  constructor(
    private readonly fingerprints: FingerprintRepository,
    private readonly blobs: BlobStore,
    private readonly settings: NearDuplicateSettings,
    logger: Logger,
  ) {
    this.queue = new FingerprintQueue((sha256) => this.fingerprint(sha256), logger);
  }

  /**
   * The tenant's images that are near-duplicates of this one (not itself),
   * nearest first: hash distance, then grid difference. An image without a
   * fingerprint yet (uploaded before fingerprints, or its background turn
   * not come) gets one now.
   */
  async nearDuplicates(tenant: string, imageId: string, first: number): Promise<ImageRecord[]> {
    const image = await this.fingerprints.find(tenant, imageId);
    if (!image) return [];
    const own = storedFingerprint(image) ?? (await this.fingerprint(image.sha256));
    const nearest = await this.nearest(own, tenant, image.id, first);
    return this.fingerprints.rows(tenant, nearest.map(({ id }) => id));
  }

  /**
   * The near-duplicates of a tenant's image among `scope`'s images (a
   * tenant's, or every tenant's when null), nearest first, with their hash
   * distance; none while the
   * image has no fingerprint yet: answer reuse (CACHE_SIMILAR_IMAGES) never
   * waits for a decode, it asks the model instead.
   */
  async storedNearDuplicates(tenant: string, imageId: string, scope: string | null, first: number): Promise<Array<{ id: string; bits: number }>> {
    const image = await this.fingerprints.find(tenant, imageId);
    const own = image && storedFingerprint(image);
    return own ? this.nearest(own, scope, imageId, first) : [];
  }

  private async nearest(own: Fingerprint, scope: string | null, exceptId: string, first: number): Promise<Array<{ id: string; bits: number }>> {
    const radius = bandRadius(this.settings.distance);
    const candidates = await this.fingerprints.candidates(scope, bandsOf(own.hash).map((value) => bandNeighbours(value, radius)), exceptId);
    return candidates
      .flatMap((row) => {
        const other = storedFingerprint(row);
        if (!other || !gridsMatch(own.grid, other.grid)) return [];
        const bits = hammingDistance(own.hash, other.hash);
        return bits <= this.settings.distance ? [{ id: row.id, bits, grid: gridDifference(own.grid, other.grid).mean }] : [];
      })
      .sort((a, b) => a.bits - b.bits || a.grid - b.grid || a.id.localeCompare(b.id))
      .slice(0, first)
      .map(({ id, bits }) => ({ id, bits }));
  }

  /** Computes the fingerprint of these bytes and stores it on every row that has them. */
  async fingerprint(sha256: string): Promise<Fingerprint> {
    const fingerprint = await fingerprintOf(await this.blobs.decoderInput(sha256));
    await this.fingerprints.store(sha256, fingerprint);
    return fingerprint;
  }

  /** New uploads: fingerprinted in the background, after the upload has answered. */
  fingerprintLater(images: readonly Pick<ImageRecord, 'sha256'>[]): void {
    this.queue.add(images.map((image) => image.sha256));
  }

  /** Resolves once every queued fingerprint is stored (tests wait on it, not on the clock). */
  settled(): Promise<void> {
    return this.queue.settled();
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }
}
