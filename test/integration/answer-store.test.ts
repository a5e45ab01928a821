import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AnswerRepository, type NewAnswer } from '../../src/modules/answers/answer.repository.js';
import { openDatabase, type Db } from '../../src/platform/database/database.js';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { migrateDatabase } from '../../src/platform/database/migrate.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { GatewayError } from '../../src/platform/errors.js';
import { postgresMissing, postgresSchemaUrl } from '../support/services.js';

/**
 * The answer row's own write (answer.repository.ts): a fresh answer goes in
 * as a plain INSERT, not through Prisma's model API. What it stores must be
 * what Prisma would have stored, column for column, on both databases: read
 * back by Prisma, compared with a row Prisma wrote at the same instant, and
 * found by the lists' time filters at a millisecond's boundary. A second
 * answer for the key, an adoption and a vanished image keep their meaning.
 */

const DATABASES = [
  { name: 'SQLite', url: null },
  ...(postgresMissing ? [] : [{ name: 'PostgreSQL', url: postgresSchemaUrl('answer_store') }]),
];

describe.each(DATABASES)('the answer store on $name', ({ url }) => {
  let dir: string;
  let db: Db;
  let answers: AnswerRepository;
  let imageId: string;
  const at = new Date('2026-03-10T13:00:00.000Z');

  const answer = (over: Partial<NewAnswer> = {}): NewAnswer => ({
    tenant: 'acme',
    imageId,
    kind: 'QUESTION',
    style: null,
    prompt: 'What is in the picture?',
    text: 'A lighthouse on a rock, «über» 🌊.',
    model: 'qwen-vl-test',
    promptTokens: 812,
    completionTokens: 17,
    totalTokens: 829,
    cachedTokens: 3,
    latencyMs: 231,
    finishReason: 'stop',
    ...over,
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'answer-store-'));
    const databaseUrl = url ?? `file:${path.join(dir, 'gateway.db')}`;
    await migrateDatabase(databaseUrl);
    db = await openDatabase(databaseUrl);
    answers = new AnswerRepository(db, { dialect: url ? 'postgresql' : 'sqlite', queryTimeoutMs: 10_000 });
    imageId = randomUUID();
    await db.image.create({ data: { id: imageId, tenant: 'acme', sha256: 'a'.repeat(64), mimeType: 'image/png', width: 32, height: 24, byteSize: 100 } });
  });
  afterAll(async () => {
    await db?.$disconnect();
    const target = url && parseDatabaseUrl(url);
    if (target && target.kind === 'postgresql') await dropSchema(target);
    await rm(dir, { recursive: true, force: true });
  });

  it('stores every column of a fresh answer as Prisma reads it back, and returns that row', async () => {
    const embedding = new Uint8Array(new Float32Array([0.25, -1.5, 3]).buffer);
    const saved = await answers.save(answer({ embedding, embeddingModel: 'text-embedding-v4' }));
    const moderation = await answers.save(answer({ kind: 'MODERATION', prompt: 'moderate', text: '{"flagged":true}', flagged: true, categories: ',VIOLENCE,', finishReason: null }));

    expect(await db.answer.findUnique({ where: { id: saved.id } })).toEqual(saved);
    expect(await db.answer.findUnique({ where: { id: moderation.id } })).toEqual(moderation);
    expect(saved).toMatchObject({ text: 'A lighthouse on a rock, «über» 🌊.', cachedTokens: 3, flagged: null, categories: null, embeddingModel: 'text-embedding-v4' });
    expect([...new Float32Array(saved.embedding!.slice().buffer)]).toEqual([0.25, -1.5, 3]);
    expect(moderation).toMatchObject({ flagged: true, categories: ',VIOLENCE,', embedding: null, finishReason: null });
  });

  it('stores the time as Prisma does: a row it wrote at the same instant sorts and filters alike, to the millisecond', async () => {
    const savedAt = async (instant: Date, prompt: string) => {
      vi.useFakeTimers({ toFake: ['Date'], now: instant });
      try {
        return await answers.save(answer({ prompt }));
      } finally {
        vi.useRealTimers();
      }
    };
    const raw = await savedAt(at, 'timed raw');
    const orm = await db.answer.create({ data: { ...answer({ prompt: 'timed orm' }), id: randomUUID(), createdAt: at } });
    expect(raw.createdAt).toEqual(at);
    const [stored] = await db.$queryRaw<Array<{ same: number | boolean }>>`SELECT (a."createdAt" = b."createdAt") AS "same" FROM "Answer" a, "Answer" b WHERE a."id" = ${raw.id} AND b."id" = ${orm.id}`;
    expect(Boolean(stored!.same)).toBe(true);

    await savedAt(new Date(at.getTime() + 1), 'timed later');
    await savedAt(new Date(at.getTime() - 1), 'timed earlier');
    const page = (filter: { createdAfter?: Date; createdBefore?: Date }) =>
      answers.page('acme', 'QUESTION', { promptContains: 'timed', ...filter }, { first: 10 }).then((p) => p.items.map((row) => row.prompt));
    // Newest first: the two rows of the same instant side by side, between the ones a millisecond apart.
    const newestFirst = await page({});
    expect([newestFirst[0], newestFirst.slice(1, 3).sort(), newestFirst[3]]).toEqual(['timed later', ['timed orm', 'timed raw'], 'timed earlier']);
    expect((await page({ createdAfter: at, createdBefore: new Date(at.getTime() + 1) })).sort()).toEqual(['timed orm', 'timed raw']);
    expect(await page({ createdAfter: new Date(at.getTime() + 1) })).toEqual(['timed later']);
    expect(await page({ createdBefore: at })).toEqual(['timed earlier']);
  });

  it('replaces the answer for a key that has one, keeping its id, and adopts without overwriting', async () => {
    const first = await answers.save(answer({ prompt: 'Asked twice?' }));
    const second = await answers.save(answer({ prompt: 'Asked twice?', text: 'A refreshed answer.' }));
    expect(second.id).toBe(first.id);
    expect(await db.answer.findUnique({ where: { id: first.id } })).toMatchObject({ text: 'A refreshed answer.' });

    const adopted = await answers.adopt(answer({ prompt: 'Asked twice?', text: 'Another replica’s answer.' }));
    expect(adopted).toMatchObject({ id: first.id, text: 'A refreshed answer.' });
  });

  it('answers NOT_FOUND for an image that is gone, storing nothing', async () => {
    const gone = randomUUID();
    const error = await answers.save(answer({ imageId: gone })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('NOT_FOUND');
    expect(await db.answer.count({ where: { imageId: gone } })).toBe(0);
  });
});
