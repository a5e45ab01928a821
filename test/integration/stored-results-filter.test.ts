import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerRepository } from '../../src/modules/answers/answer.repository.js';
import { openDatabase, type Db } from '../../src/platform/database/database.js';
import { parseDatabaseUrl, pgPoolConfig } from '../../src/platform/database/database-url.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { ListQuestionsDocument, type ListQuestionsQuery } from '../generated/graphql.js';
import { errorCodes, type GraphQLResponse } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { postgresEmbedded, postgresMissing, postgresSchemaUrl } from '../support/services.js';

// The analytics lists over many stored answers (issue 10, point 2): the
// database does the whole `promptContains` filter, one query per page, with
// one case rule on SQLite and PostgreSQL (literal, case-sensitive substring:
// % and _ are plain text); `first: 0` reads nothing; and on PostgreSQL a
// list query has a statement timeout. Rows are seeded straight into the
// database: what is under test is the read path.

const ROWS = 1000;
const TENANT = 'default';
/** Generous: every list query but the blocked one must finish within it on a busy machine. */
const TIMEOUT_MS = 3000;

/** Prompts that catch the old bugs: wildcards matched as LIKE, ASCII case ignored by SQLite, non-ASCII case. */
function promptOf(i: number): string {
  if (i % 100 === 7) return `Is 100%_ of item ${i} visible?`;
  if (i % 100 === 8) return `What COLOUR is item ${i}?`;
  if (i % 100 === 9) return `Was ist ÄRGER in Bild ${i}?`;
  if (i % 100 === 10) return `Was ist ärger in Bild ${i}?`;
  return `What colour is item ${i}?`;
}

interface Seeded {
  id: string;
  prompt: string;
}

/** ROWS answers of one image, newest first, with distinct createdAt and some rows sharing one (cursor ties). */
async function seed(db: Db): Promise<Seeded[]> {
  const imageId = randomUUID();
  await db.image.create({ data: { id: imageId, tenant: TENANT, sha256: randomBytes(32).toString('hex'), mimeType: 'image/png', width: 1, height: 1, byteSize: 1 } });
  const base = Date.UTC(2025, 0, 1);
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    id: `answer-${String(i).padStart(4, '0')}`,
    tenant: TENANT,
    imageId,
    kind: 'QUESTION',
    prompt: promptOf(i),
    text: 'stored',
    model: 'qwen-vl-test',
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    latencyMs: 0,
    // Every third row shares its neighbour's timestamp, so pages must order ties by id.
    createdAt: new Date(base - Math.floor(i / 3) * 1000),
  }));
  await db.answer.createMany({ data: rows });
  const newestFirst = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
  return newestFirst.map(({ id, prompt }) => ({ id, prompt }));
}

/** The same client, counting every database operation it runs (model queries and raw SQL alike). */
function countingClient(db: Db): { db: Db; count: () => number } {
  let operations = 0;
  const counted = db.$extends({
    query: {
      async $allOperations({ args, query }) {
        operations++;
        return query(args);
      },
    },
  });
  return { db: counted as unknown as Db, count: () => operations };
}

function suite(name: string, databaseUrl: () => string | undefined, dialect: 'sqlite' | 'postgresql') {
  describe(name, () => {
    let gateway: TestGateway;
    let db: Db;
    let seeded: Seeded[];

    beforeAll(async () => {
      const url = databaseUrl();
      gateway = await startGateway({ env: { ...(url ? { DATABASE_URL: url } : {}), ANALYTICS_QUERY_TIMEOUT_MS: String(TIMEOUT_MS) } });
      db = await openDatabase(gateway.app.config.databaseUrl);
      seeded = await seed(db);
    });
    afterAll(async () => {
      await db?.$disconnect();
      await gateway?.stop();
    });

    /** Every page of a filter through the API, following endCursor. */
    async function allPages(promptContains: string, first: number): Promise<string[]> {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const response: GraphQLResponse<ListQuestionsQuery> = await gateway.client.request(ListQuestionsDocument, { filter: { promptContains }, first, after });
        expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
        const page = response.data!.questions;
        ids.push(...page.edges.map((edge) => edge.node.id));
        if (!page.pageInfo.hasNextPage) return ids;
        after = page.pageInfo.endCursor!;
      }
    }

    const expected = (text: string) => seeded.filter((row) => row.prompt.includes(text)).map((row) => row.id);

    it('matches promptContains as a literal, case-sensitive substring, paging exactly', async () => {
      for (const text of ['%_', '%', '_', 'colour', 'COLOUR', 'ärger', 'ÄRGER', 'item 99', 'zebra']) {
        expect(await allPages(text, 7), text).toEqual(expected(text));
      }
      expect(expected('%_')).toHaveLength(10);
      expect(expected('ärger')).toHaveLength(10);
    });

    it('reads one page with one query, and first: 0 with none', async () => {
      const { db: counted, count } = countingClient(db);
      const repository = new AnswerRepository(counted, { dialect, queryTimeoutMs: 5000 });
      // PostgreSQL sends set_config (the statement timeout) with the read, in one transaction.
      const perPage = dialect === 'postgresql' ? 2 : 1;
      // Nothing matches: before, the database matched every row (LIKE wildcards) and a re-check walked the table a row per query.
      expect(await repository.page(TENANT, 'QUESTION', { promptContains: '%_x' }, { first: 1 })).toMatchObject({ items: [], hasNextPage: false });
      expect(count()).toBe(perPage);

      const page = await repository.page(TENANT, 'QUESTION', { promptContains: '%_' }, { first: 3 });
      expect(page.items.map((row) => row.id)).toEqual(expected('%_').slice(0, 3));
      expect(page.hasNextPage).toBe(true);
      expect(count()).toBe(2 * perPage);

      expect(await repository.page(TENANT, 'QUESTION', { promptContains: '%_' }, { first: 0 })).toMatchObject({ items: [], hasNextPage: false });
      expect(count()).toBe(2 * perPage);
    });

    it('answers thirty aliased first: 0 lists at once, each empty with hasNextPage false', async () => {
      const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: questions(first: 0, filter: {promptContains: "%_"}) { edges { cursor } pageInfo { hasNextPage endCursor } }`);
      const response = await gateway.client.request<Record<string, { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>>(`{ ${aliases.join('\n')} }`);
      expect(response.errors).toBeUndefined();
      expect(Object.values(response.data!)).toEqual(Array.from({ length: 30 }, () => ({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } })));
    });

    // SQLite cannot interrupt a statement: the timeout exists on PostgreSQL only, so only there is it tested
    // (on a server: PGlite's one session cannot wait on another's lock).
    if (dialect === 'postgresql') it.skipIf(postgresEmbedded)('refuses a list query that outlives ANALYTICS_QUERY_TIMEOUT_MS with QUERY_TOO_COMPLEX', async () => {
      // Another session holds the table: the list query waits, and its statement timeout ends the wait.
      const target = parseDatabaseUrl(gateway.app.config.databaseUrl);
      if (target.kind !== 'postgresql') throw new Error('expected PostgreSQL');
      const blocker = new pg.Client(pgPoolConfig(target));
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE "Answer" IN ACCESS EXCLUSIVE MODE');
        const refused = await gateway.client.request(ListQuestionsDocument, { filter: { promptContains: 'colour' }, first: 5 });
        expect(errorCodes(refused)).toEqual(['QUERY_TOO_COMPLEX']);
        expect(refused.errors![0]!.extensions).toMatchObject({ limit: 'ANALYTICS_QUERY_TIMEOUT_MS', maximum: TIMEOUT_MS });
      } finally {
        await blocker.query('ROLLBACK');
        await blocker.end();
      }
      const served = await gateway.client.request(ListQuestionsDocument, { filter: { promptContains: 'colour' }, first: 5 });
      expect(served.errors).toBeUndefined();
      expect(served.data!.questions.edges).toHaveLength(5);
    });
  });
}

suite('stored results on SQLite', () => undefined, 'sqlite');

const pgUrl = postgresSchemaUrl('results');
describe.skipIf(postgresMissing)('PostgreSQL', () => {
  suite('stored results on PostgreSQL', () => pgUrl, 'postgresql');
  afterAll(async () => {
    const target = parseDatabaseUrl(pgUrl);
    if (target.kind === 'postgresql') await dropSchema(target);
  });
});
