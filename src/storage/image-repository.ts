import type { Image } from '../generated/prisma/client.js';
import type { Db } from './database.js';
import { fetchPage, NEWEST_FIRST, type Page, type PageArgs } from './pagination.js';
import { isUniqueViolation } from './prisma-errors.js';

export type ImageRecord = Image;
export type NewImage = Omit<Image, 'createdAt'>;

export class ImageRepository {
  constructor(private readonly db: Db) {}

  findById(id: string): Promise<ImageRecord | null> {
    return this.db.image.findUnique({ where: { id } });
  }

  findByIds(ids: readonly string[]): Promise<ImageRecord[]> {
    return this.db.image.findMany({ where: { id: { in: [...ids] } } });
  }

  findBySha256(sha256: string): Promise<ImageRecord | null> {
    return this.db.image.findUnique({ where: { sha256 } });
  }

  /** Inserts, or returns the row a concurrent upload of the same bytes inserted first. */
  async insertOrGet(image: NewImage): Promise<{ record: ImageRecord; created: boolean }> {
    try {
      return { record: await this.db.image.create({ data: image }), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.findBySha256(image.sha256);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  page(args: PageArgs): Promise<Page<ImageRecord>> {
    return fetchPage(args, (take, after) => this.db.image.findMany({ where: after, orderBy: NEWEST_FIRST, take }));
  }
}
