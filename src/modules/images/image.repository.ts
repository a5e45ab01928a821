import type { Image, Prisma } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';
import { fetchPage, type Page, type PageArgs } from '../../platform/database/pagination.js';
import { isUniqueViolation } from '../../platform/database/prisma-errors.js';

/**
 * The perceptual fingerprint's columns: filled after the row is stored, and
 * read only by modules/near-duplicates; the reads here leave them out, so a
 * cached or listed image does not carry its grid around.
 */
const FINGERPRINT = { hashBand0: true, hashBand1: true, hashBand2: true, hashBand3: true, fingerprintGrid: true } as const;

export type ImageRecord = Omit<Image, keyof typeof FINGERPRINT>;
/** A row to insert: its tenant is given apart, as the first argument. */
export type NewImage = Omit<ImageRecord, 'createdAt' | 'tenant'>;

const CAPTION = { kind: 'CAPTION' };

/** Each lost race with a concurrent upload of the same bytes costs one attempt. */
const INSERT_ATTEMPTS = 3;

/** What the images list can be narrowed by. */
export interface ImageListFilter {
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  mimeType?: string | null;
  hasCaption?: boolean | null;
}

/** A tenant's images by id (missing and foreign ids are left out). */
export interface ImageLookup {
  findByIds(tenant: string, ids: readonly string[]): Promise<ImageRecord[]>;
}

export class ImageRepository implements ImageLookup {
  constructor(private readonly db: Db) {}

  /**
   * In whichever tenant holds it: only for signed image URLs, whose signature
   * (minted for a caller who could read the image) is the capability.
   */
  findForSignedUrl(id: string): Promise<ImageRecord | null> {
    return this.db.image.findUnique({ where: { id }, omit: FINGERPRINT });
  }

  findByIds(tenant: string, ids: readonly string[]): Promise<ImageRecord[]> {
    return this.db.image.findMany({ where: { id: { in: [...ids] }, tenant }, omit: FINGERPRINT });
  }

  /** Whether any tenant's row still points at this blob. */
  async blobInUse(sha256: string): Promise<boolean> {
    return (await this.db.image.count({ where: { sha256 } })) > 0;
  }

  /** Which of these blobs any tenant's row points at. */
  async blobsInUse(sha256s: readonly string[]): Promise<Set<string>> {
    const rows = await this.db.image.findMany({ where: { sha256: { in: [...sha256s] } }, select: { sha256: true }, distinct: ['sha256'] });
    return new Set(rows.map((row) => row.sha256));
  }

  /**
   * The tenant's rows for these images (one per sha256), inserting the missing
   * ones in one transaction: all or none. Rows the tenant already has for the
   * same bytes are returned as they are. A concurrent upload of some of the
   * same bytes that commits first fails this transaction on the unique key;
   * the next attempt finds its rows.
   */
  async insertAll(tenant: string, images: readonly NewImage[]): Promise<Map<string, ImageRecord>> {
    for (let attempt = 1; ; attempt++) {
      const found = await this.db.image.findMany({ where: { tenant, sha256: { in: images.map((image) => image.sha256) } }, omit: FINGERPRINT });
      const rows = new Map(found.map((row) => [row.sha256, row]));
      const missing = images.filter((image) => !rows.has(image.sha256));
      try {
        const created = missing.length > 0 ? await this.db.$transaction(missing.map((image) => this.db.image.create({ data: { ...image, tenant }, omit: FINGERPRINT }))) : [];
        for (const row of created) rows.set(row.sha256, row);
        return rows;
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= INSERT_ATTEMPTS) throw error;
      }
    }
  }

  /** Newest first; `hasCaption` is an EXISTS on the captions' (imageId, kind) index. */
  page(tenant: string, filter: ImageListFilter, args: PageArgs): Promise<Page<ImageRecord>> {
    const where: Prisma.ImageWhereInput = {
      tenant,
      ...(filter.mimeType ? { mimeType: filter.mimeType } : {}),
      ...(filter.createdAfter || filter.createdBefore ? { createdAt: { gte: filter.createdAfter ?? undefined, lt: filter.createdBefore ?? undefined } } : {}),
      ...(filter.hasCaption === true ? { answers: { some: CAPTION } } : {}),
      ...(filter.hasCaption === false ? { answers: { none: CAPTION } } : {}),
    };
    return fetchPage(
      args,
      'desc',
      (window) => this.db.image.findMany({ where: { ...where, AND: window.where.AND }, orderBy: window.orderBy, take: window.take, omit: FINGERPRINT }),
      () => this.db.image.count({ where }),
    );
  }
}
