import { randomUUID } from 'node:crypto';
import { Prisma, type Answer } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';
import { notFound } from '../../platform/errors.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../platform/database/prisma-errors.js';
import { rawTable } from '../../platform/database/raw-insert.js';
import { NEWEST_FIRST, newestFirstSql, readPage, type Page, type PageArgs } from '../../platform/database/pagination.js';
import { containsText, queryWithTimeout, type SqlDialect } from '../../platform/database/sql-dialect.js';
import type { AnswerKind } from './answer-kind.js';

export type AnswerRecord = Answer;
export type { AnswerKind };
/**
 * `flagged` and `categories` are set only for moderation verdicts (the
 * moderations list filters on them), `embedding` and `embeddingModel` only for
 * questions under CACHE_SIMILAR_PROMPTS.
 */
type OptionalColumns = 'flagged' | 'categories' | 'embedding' | 'embeddingModel';
export type NewAnswer = Omit<Answer, 'id' | 'createdAt' | OptionalColumns> & Partial<Pick<Answer, OptionalColumns>>;

/** Answer's columns, for a fresh answer's INSERT. */
const ANSWERS = rawTable<AnswerRecord>('Answer', Object.values(Prisma.AnswerScalarFieldEnum));

/** The cache key: (image sha256, normalized prompt, model), within a cache scope (a tenant, or all of them). */
export interface AnswerKey {
  sha256: string;
  prompt: string;
  model: string;
  /** The asking tenant's image with these bytes, when known: in a tenant's scope it is the only one. */
  imageId?: string;
}

/** The contract's cache key as one string: (image sha256, normalized prompt, model). */
export function answerKey(sha256: string, prompt: string, model: string): string {
  return JSON.stringify([sha256, prompt, model]);
}

export type AnswerWithSha = AnswerRecord & { image: { sha256: string } };

export interface AnswerFilter {
  imageId?: string | null;
  model?: string | null;
  style?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  promptContains?: string | null;
  /** The result's text (a caption, an answer) contains this, literally and case-sensitively. */
  textContains?: string | null;
  /** Moderation verdicts only. */
  flagged?: boolean | null;
  /** Moderation verdicts naming this category. */
  category?: string | null;
}

/** How `categories` is stored: delimited at both ends, so one category is matched exactly by a substring test. */
export function storedCategories(categories: readonly string[]): string {
  return `,${categories.join(',')},`;
}

export interface AnswerRepositoryOptions {
  dialect: SqlDialect;
  /** Time limit of the analytics lists (ANALYTICS_QUERY_TIMEOUT_MS; PostgreSQL only). */
  queryTimeoutMs: number;
}

/** What the similar-answer lookup reads (similar-answers.ts). */
export interface SimilarAnswerStore {
  /** The answers of these images to this prompt and model, with each image's size. */
  answersOfImages(imageIds: readonly string[], prompt: string, model: string): Promise<Array<AnswerRecord & { image: { width: number; height: number } }>>;
  /** An image's stored questions to this model embedded by `embeddingModel`. */
  embeddedQuestions(imageId: string, model: string, embeddingModel: string): Promise<AnswerRecord[]>;
  /** Stored embeddings of these prompt texts (in `scope`), by text. */
  storedEmbeddings(prompts: readonly string[], embeddingModel: string, scope: string | null): Promise<Map<string, Uint8Array<ArrayBuffer>>>;
}

/** What answering reads and writes: AnswerService's whole need of the store. */
export interface AnswerStore {
  findByKeys(keys: readonly AnswerKey[], tenant: string | null): Promise<AnswerWithSha[]>;
  save(answer: NewAnswer): Promise<AnswerRecord>;
  adopt(answer: NewAnswer): Promise<AnswerRecord>;
}

/** The store as StoredPrompts reads it: also the (prompt, model) pairs an image has answers for. */
export interface PromptSource extends AnswerStore {
  promptsOf(imageId: string): Promise<Array<{ prompt: string; model: string }>>;
}

export class AnswerRepository implements PromptSource, SimilarAnswerStore {
  constructor(
    private readonly db: Db,
    private readonly options: AnswerRepositoryOptions,
  ) {}

  /**
   * Stored answers for these keys: from `tenant`'s own images, or from any
   * tenant's copy of the same bytes when `tenant` is null (a global cache).
   * Two indexed queries, not one join per key (SQLite allows at most 64
   * tables in a join); one when a tenant's keys name their images (a tenant
   * has one image row per sha256), as a fresh question's lookup does.
   */
  async findByKeys(keys: readonly AnswerKey[], tenant: string | null): Promise<AnswerWithSha[]> {
    if (keys.length === 0) return [];
    const unique = <T>(values: T[]) => [...new Set(values)];
    const shaOf = tenant !== null && keys.every((k) => k.imageId) ? new Map(keys.map((k) => [k.imageId!, k.sha256])) : await this.imagesWith(keys, tenant);
    if (shaOf.size === 0) return [];
    const wanted = new Set(keys.map((k) => answerKey(k.sha256, k.prompt, k.model)));
    const rows = await this.db.answer.findMany({
      where: { imageId: { in: [...shaOf.keys()] }, prompt: { in: unique(keys.map((k) => k.prompt)) }, model: { in: unique(keys.map((k) => k.model)) } },
    });
    return rows
      .map((row) => ({ ...row, image: { sha256: shaOf.get(row.imageId)! } }))
      .filter((row) => wanted.has(answerKey(row.image.sha256, row.prompt, row.model)));
  }

  /** The (prompt, model) pairs an image has answers for (stored-prompts.ts): one SELECT on the image's unique index. */
  promptsOf(imageId: string): Promise<Array<{ prompt: string; model: string }>> {
    return this.db.answer.findMany({ where: { imageId }, select: { prompt: true, model: true } });
  }

  /** The images holding the keys' bytes (in `tenant`, or any tenant's when null): their sha256 by id. */
  private async imagesWith(keys: readonly AnswerKey[], tenant: string | null): Promise<Map<string, string>> {
    const images = await this.db.image.findMany({
      where: { sha256: { in: [...new Set(keys.map((k) => k.sha256))] }, ...(tenant === null ? {} : { tenant }) },
      select: { id: true, sha256: true },
    });
    return new Map(images.map((image) => [image.id, image.sha256]));
  }

  /**
   * Stores a fresh answer, replacing the stored one for the same key
   * (refresh, a reply cut short asked again). Inserted first, since the key
   * almost always has no row and the insert costs far less than Prisma's
   * upsert; a key that has one is upserted then. An image deleted while its
   * answer was being computed is NOT_FOUND, as it would have been a moment earlier.
   */
  async save(answer: NewAnswer): Promise<AnswerRecord> {
    const { imageId, prompt, model, kind, style, tenant, ...result } = answer;
    return this.insertOr(answer, () =>
      this.db.answer.upsert({
        where: { imageId_prompt_model: { imageId, prompt, model } },
        create: { id: randomUUID(), tenant, imageId, prompt, model, kind, style, ...result },
        update: { ...result, createdAt: new Date() },
      }),
    );
  }

  /** Creates the row if the image has none for this prompt and model; never overwrites one (NOT_FOUND once the image is deleted). */
  adopt(answer: NewAnswer): Promise<AnswerRecord> {
    return this.insertOr(answer, async (conflict) => {
      const existing = await this.db.answer.findUnique({ where: { imageId_prompt_model: { imageId: answer.imageId, prompt: answer.prompt, model: answer.model } } });
      if (!existing) throw conflict;
      return existing;
    });
  }

  /**
   * Inserts the row; if the key has one already, what `onConflict` makes of it. NOT_FOUND once the
   * image is deleted. A plain INSERT rather than `answer.create`: every fresh answer waits for this
   * write, and Prisma's query compiler and result mapping were most of its time (B2,
   * docs/performance.md). The row is whole before it is written (id, time, the optional columns
   * empty), so it is returned as stored, with no read-back.
   */
  private async insertOr(answer: NewAnswer, onConflict: (conflict: unknown) => Promise<AnswerRecord>): Promise<AnswerRecord> {
    const { flagged = null, categories = null, embedding = null, embeddingModel = null } = answer;
    const row: AnswerRecord = { id: randomUUID(), createdAt: new Date(), ...answer, flagged, categories, embedding, embeddingModel };
    try {
      return await this.db.$executeRaw`${ANSWERS.insertInto} VALUES ${ANSWERS.values(row)}`.then(
        () => row,
        (error: unknown) => {
          if (!isUniqueViolation(error)) throw error;
          return onConflict(error);
        },
      );
    } catch (error) {
      throw isForeignKeyViolation(error) ? notFound('image', answer.imageId) : error;
    }
  }

  answersOfImages(imageIds: readonly string[], prompt: string, model: string): Promise<Array<AnswerRecord & { image: { width: number; height: number } }>> {
    return this.db.answer.findMany({ where: { imageId: { in: [...imageIds] }, prompt, model }, include: { image: { select: { width: true, height: true } } } });
  }

  embeddedQuestions(imageId: string, model: string, embeddingModel: string): Promise<AnswerRecord[]> {
    return this.db.answer.findMany({ where: { imageId, kind: 'QUESTION', model, embeddingModel } });
  }

  /** One row per prompt text, whichever image it is about: the vector depends on the text alone. */
  async storedEmbeddings(prompts: readonly string[], embeddingModel: string, scope: string | null): Promise<Map<string, Uint8Array<ArrayBuffer>>> {
    const rows = await this.db.answer.findMany({
      where: { prompt: { in: [...prompts] }, kind: 'QUESTION', embeddingModel, ...(scope === null ? {} : { tenant: scope }) },
      select: { prompt: true, embedding: true },
      distinct: ['prompt'],
    });
    return new Map(rows.flatMap((row) => (row.embedding ? [[row.prompt, row.embedding] as const] : [])));
  }

  listForImages(imageIds: readonly string[], kind: AnswerKind): Promise<AnswerRecord[]> {
    return this.db.answer.findMany({ where: { imageId: { in: [...imageIds] }, kind }, orderBy: NEWEST_FIRST });
  }

  /**
   * One page of a tenant's results in one query, the whole filter done by the
   * database (and its count in another, when asked). Raw SQL because
   * `promptContains`/`textContains` must be a literal, case-sensitive
   * substring on both databases, which Prisma's `contains` (LIKE) is not.
   * Analytics reads run under the statement time limit.
   */
  page(tenant: string, kind: AnswerKind, filter: AnswerFilter, args: PageArgs): Promise<Page<AnswerRecord>> {
    const conditions = this.conditions(tenant, kind, filter);
    const where = (more: Prisma.Sql[]) => Prisma.join([...conditions, ...more], ' AND ');
    return readPage(
      args,
      (window) => {
        const { bounds, orderBy } = newestFirstSql(window);
        return this.query<AnswerRecord>(Prisma.sql`SELECT * FROM "Answer" WHERE ${where(bounds)} ORDER BY ${orderBy} LIMIT ${window.take}`);
      },
      async () => {
        const [row] = await this.query<{ count: number | bigint }>(Prisma.sql`SELECT COUNT(*) AS "count" FROM "Answer" WHERE ${where([])}`);
        return Number(row?.count ?? 0);
      },
    );
  }

  /**
   * Every row the filter matches, newest first, in batches: each batch one
   * keyset query after the last row of the one before (no OFFSET, no open
   * transaction), so an export of millions of rows holds one batch at a time.
   */
  async *scan(tenant: string, kind: AnswerKind, filter: AnswerFilter, batchSize: number): AsyncGenerator<AnswerRecord[]> {
    const conditions = this.conditions(tenant, kind, filter);
    for (let after: AnswerRecord | undefined; ; ) {
      const { bounds, orderBy } = newestFirstSql({ take: batchSize, after, backward: false });
      const batch = await this.query<AnswerRecord>(Prisma.sql`SELECT * FROM "Answer" WHERE ${Prisma.join([...conditions, ...bounds], ' AND ')} ORDER BY ${orderBy} LIMIT ${batchSize}`);
      if (batch.length > 0) yield batch;
      if (batch.length < batchSize) return;
      after = batch.at(-1);
    }
  }

  private query<T>(sql: Prisma.Sql): Promise<T[]> {
    return queryWithTimeout<T>(this.db, this.options.dialect, this.options.queryTimeoutMs, sql);
  }

  private conditions(tenant: string, kind: AnswerKind, filter: AnswerFilter): Prisma.Sql[] {
    return [
      Prisma.sql`"tenant" = ${tenant}`,
      Prisma.sql`"kind" = ${kind}`,
      ...(filter.imageId ? [Prisma.sql`"imageId" = ${filter.imageId}`] : []),
      ...(filter.model ? [Prisma.sql`"model" = ${filter.model}`] : []),
      ...(filter.style ? [Prisma.sql`"style" = ${filter.style}`] : []),
      ...(filter.createdAfter ? [Prisma.sql`"createdAt" >= ${filter.createdAfter}`] : []),
      ...(filter.createdBefore ? [Prisma.sql`"createdAt" < ${filter.createdBefore}`] : []),
      ...(filter.promptContains ? [containsText(this.options.dialect, Prisma.sql`"prompt"`, filter.promptContains)] : []),
      ...(filter.textContains ? [containsText(this.options.dialect, Prisma.sql`"text"`, filter.textContains)] : []),
      // SQLite keeps booleans as 0/1 and binds no JS boolean.
      ...(typeof filter.flagged === 'boolean' ? [Prisma.sql`"flagged" = ${this.options.dialect === 'sqlite' ? Number(filter.flagged) : filter.flagged}`] : []),
      ...(filter.category ? [containsText(this.options.dialect, Prisma.sql`"categories"`, storedCategories([filter.category]))] : []),
    ];
  }
}
