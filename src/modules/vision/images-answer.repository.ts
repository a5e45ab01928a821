import { randomUUID } from 'node:crypto';
import type { ImagesAnswer } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';
import { isUniqueViolation } from '../../platform/database/prisma-errors.js';
import type { ImageRecord } from '../images/image.service.js';

/** A stored answer about several images, with its images in the order they were sent. */
export type ImagesAnswerRecord = ImagesAnswer & { images: ImageRecord[] };

/** The cache key: the images' sha256s in order (as one string), the normalized prompt and the model. */
export interface ImagesAnswerKey {
  imagesKey: string;
  prompt: string;
  model: string;
}

export type NewImagesAnswer = ImagesAnswerKey &
  Pick<ImagesAnswer, 'tenant' | 'text' | 'promptTokens' | 'completionTokens' | 'totalTokens' | 'cachedTokens' | 'latencyMs' | 'finishReason'> & { imageIds: readonly string[] };

/** The ordered hashes as stored in `imagesKey`. */
export const imagesKeyOf = (images: ReadonlyArray<Pick<ImageRecord, 'sha256'>>) => JSON.stringify(images.map((image) => image.sha256));

const WITH_IMAGES = { images: { orderBy: { position: 'asc' as const }, include: { image: true } } };

type Loaded = ImagesAnswer & { images: Array<{ image: ImageRecord }> };

const links = (imageIds: readonly string[]) => imageIds.map((imageId, position) => ({ imageId, position }));

const toRecord = ({ images, ...answer }: Loaded): ImagesAnswerRecord => ({ ...answer, images: images.map((link) => link.image) });

/**
 * Answers about several images. The row is the durable cache: one per
 * (tenant, ordered image hashes, prompt, model); a refresh replaces its
 * result in place.
 */
export class ImagesAnswerRepository {
  constructor(private readonly db: Db) {}

  async findForTenant(tenant: string, id: string): Promise<ImagesAnswerRecord | null> {
    const found = await this.db.imagesAnswer.findFirst({ where: { id, tenant }, include: WITH_IMAGES });
    return found && toRecord(found);
  }

  /** The answer stored for the key: `tenant`'s own, or any tenant's when `tenant` is null (a global cache). */
  async findByKey(key: ImagesAnswerKey, tenant: string | null): Promise<ImagesAnswerRecord | null> {
    const found = await this.db.imagesAnswer.findFirst({ where: { ...key, ...(tenant === null ? {} : { tenant }) }, include: WITH_IMAGES });
    return found && toRecord(found);
  }

  /** Stores a fresh answer, replacing the stored one for the same key (refresh). */
  async save(answer: NewImagesAnswer): Promise<ImagesAnswerRecord> {
    const { tenant, imagesKey, prompt, model, imageIds, ...result } = answer;
    const saved = await this.db.imagesAnswer.upsert({
      where: { tenant_imagesKey_prompt_model: { tenant, imagesKey, prompt, model } },
      create: { id: randomUUID(), tenant, imagesKey, prompt, model, ...result, images: { create: links(imageIds) } },
      update: { ...result, createdAt: new Date(), images: { deleteMany: {}, create: links(imageIds) } },
      include: WITH_IMAGES,
    });
    return toRecord(saved);
  }

  /**
   * Points a stored answer at the tenant's images of its hashes again: an
   * image deleted and uploaded anew has a new id, and its link went with the
   * old row.
   */
  async relink(id: string, imageIds: readonly string[]): Promise<ImagesAnswerRecord> {
    const updated = await this.db.imagesAnswer.update({ where: { id }, data: { images: { deleteMany: {}, create: links(imageIds) } }, include: WITH_IMAGES });
    return toRecord(updated);
  }

  /** Creates the row if the tenant has none for this key; never overwrites one. */
  async adopt(answer: NewImagesAnswer): Promise<ImagesAnswerRecord> {
    const { tenant, imagesKey, prompt, model, imageIds, ...result } = answer;
    try {
      const created = await this.db.imagesAnswer.create({
        data: { id: randomUUID(), tenant, imagesKey, prompt, model, ...result, images: { create: links(imageIds) } },
        include: WITH_IMAGES,
      });
      return toRecord(created);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.findByKey({ imagesKey, prompt, model }, tenant);
      if (!existing) throw error;
      return existing;
    }
  }
}
