import { LRUCache } from 'lru-cache';
import type { ImageLookup, ImageRecord } from './image.repository.js';

/** Rows kept: an image row is a few hundred bytes, so this bounds the cache to a few MB. */
const MAX_IMAGES = 20_000;

/**
 * Image rows by id, in front of the repository: the image lookup of every
 * operation (a cached answer included) then needs no database round trip.
 * A row never changes once written (its bytes, type and size are the
 * image), so a cached row cannot go stale; nothing deletes image rows
 * except deletion (modules/lifecycle), which must drop them here (and on other
 * replicas, through its events): `forget`. Unknown ids are not remembered: they ask
 * the database each time, so a row written elsewhere is found at once.
 */
export class ImageCache implements ImageLookup {
  private readonly byId = new LRUCache<string, ImageRecord>({ max: MAX_IMAGES });

  constructor(private readonly rows: ImageLookup) {}

  /** The tenant's images among `ids` (missing and foreign ids left out), reading only those not cached. */
  async findByIds(tenant: string, ids: readonly string[]): Promise<ImageRecord[]> {
    const cached: ImageRecord[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const row = this.byId.get(id);
      if (row) cached.push(row);
      else missing.push(id);
    }
    const read = missing.length > 0 ? await this.rows.findByIds(tenant, missing) : [];
    for (const row of read) this.byId.set(row.id, row);
    // Another tenant's row is exactly as unknown as a missing one.
    return [...cached, ...read].filter((row) => row.tenant === tenant);
  }

  /** Drops deleted images' rows, so no lookup finds them any more. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.byId.delete(id);
  }

  /** Drops every row of an erased tenant (erased by another process: which ids it had is not known here). */
  forgetTenant(tenant: string): void {
    this.forget([...this.byId.entries()].filter(([, row]) => row.tenant === tenant).map(([id]) => id));
  }
}
