import type { Image } from '../generated/prisma/client.js';
import type { Db } from './database.js';
import { fetchPage, NEWEST_FIRST, type Page, type PageArgs } from './pagination.js';
import { isUniqueViolation } from './prisma-errors.js';

export type ImageRecord = Image;
export type NewImage = Omit<Image, 'createdAt'>;

export class ImageRepository {
  constructor(private readonly db: Db) {}

  findById(tenant: string, id: string): Promise<ImageRecord | null> {
    return this.db.image.findFirst({ where: { id, tenant } });
  }

  /**
   * In whichever tenant holds it: only for signed image URLs, whose signature
   * (minted for a caller who could read the image) is the capability.
   */
  findForSignedUrl(id: string): Promise<ImageRecord | null> {
    return this.db.image.findUnique({ where: { id } });
  }

  findByIds(tenant: string, ids: readonly string[]): Promise<ImageRecord[]> {
    return this.db.image.findMany({ where: { id: { in: [...ids] }, tenant } });
  }

  findBySha256(tenant: string, sha256: string): Promise<ImageRecord | null> {
    return this.db.image.findUnique({ where: { tenant_sha256: { tenant, sha256 } } });
  }

  /** Whether any tenant's row still points at this blob. */
  async blobInUse(sha256: string): Promise<boolean> {
    return (await this.db.image.count({ where: { sha256 } })) > 0;
  }

  /** Inserts, or returns the row a concurrent upload of the same bytes inserted first. */
  async insertOrGet(image: NewImage): Promise<{ record: ImageRecord; created: boolean }> {
    try {
      return { record: await this.db.image.create({ data: image }), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.findBySha256(image.tenant, image.sha256);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  page(tenant: string, args: PageArgs): Promise<Page<ImageRecord>> {
    return fetchPage(args, (take, after) => this.db.image.findMany({ where: { tenant, AND: [after] }, orderBy: NEWEST_FIRST, take }));
  }
}
