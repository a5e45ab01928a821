import { randomUUID } from 'node:crypto';
import type { Answer, Prisma } from '../generated/prisma/client.js';
import type { Db } from './database.js';
import { fetchPage, NEWEST_FIRST, type Page, type PageArgs } from './pagination.js';

export type AnswerRecord = Answer;
export type AnswerKind = 'CAPTION' | 'QUESTION';
export type NewAnswer = Omit<Answer, 'id' | 'createdAt'>;

/** The cache key as stored: images are content-addressed, so imageId stands for sha256. */
export interface AnswerKey {
  imageId: string;
  prompt: string;
  model: string;
}

export interface AnswerFilter {
  imageId?: string | null;
  model?: string | null;
  style?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  promptContains?: string | null;
}

/** Bounded OR lists keep each lookup one indexed query without huge statements. */
const KEYS_PER_QUERY = 200;

export class AnswerRepository {
  constructor(private readonly db: Db) {}

  findById(id: string, kind: AnswerKind): Promise<AnswerRecord | null> {
    return this.db.answer.findFirst({ where: { id, kind } });
  }

  async findByKeys(keys: readonly AnswerKey[]): Promise<AnswerRecord[]> {
    const found: AnswerRecord[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const slice = keys.slice(i, i + KEYS_PER_QUERY);
      found.push(...(await this.db.answer.findMany({ where: { OR: slice.map((k) => ({ imageId: k.imageId, prompt: k.prompt, model: k.model })) } })));
    }
    return found;
  }

  /** Stores a fresh answer, replacing the stored one for the same key (refresh). */
  save(answer: NewAnswer): Promise<AnswerRecord> {
    const { imageId, prompt, model, kind, style, ...result } = answer;
    return this.db.answer.upsert({
      where: { imageId_prompt_model: { imageId, prompt, model } },
      create: { id: randomUUID(), imageId, prompt, model, kind, style, ...result },
      update: { ...result, createdAt: new Date() },
    });
  }

  listForImages(imageIds: readonly string[], kind: AnswerKind): Promise<AnswerRecord[]> {
    return this.db.answer.findMany({ where: { imageId: { in: [...imageIds] }, kind }, orderBy: NEWEST_FIRST });
  }

  page(kind: AnswerKind, filter: AnswerFilter, args: PageArgs): Promise<Page<AnswerRecord>> {
    const where: Prisma.AnswerWhereInput = {
      kind,
      ...(filter.imageId ? { imageId: filter.imageId } : {}),
      ...(filter.model ? { model: filter.model } : {}),
      ...(filter.style ? { style: filter.style } : {}),
      ...(filter.promptContains ? { prompt: { contains: filter.promptContains } } : {}),
      createdAt: { ...(filter.createdAfter ? { gte: filter.createdAfter } : {}), ...(filter.createdBefore ? { lt: filter.createdBefore } : {}) },
    };
    const contains = filter.promptContains;
    return fetchPage(
      args,
      (take, after) => this.db.answer.findMany({ where: { ...where, AND: [after] }, orderBy: NEWEST_FIRST, take }),
      contains ? (row) => row.prompt.includes(contains) : undefined,
    );
  }
}
