import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedCategories } from '../../src/modules/answers/answer.repository.js';
import { openDatabase, type Db } from '../../src/platform/database/database.js';
import { parseDatabaseUrl, pgPoolConfig } from '../../src/platform/database/database-url.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { GraphQLClient, errorCodes } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { postgresMissing, postgresSchemaUrl } from '../support/services.js';

// Issue 15, points 3, 4 and 7: totalCount and backward paging on every
// connection, the images filter, text search with one rule on both databases,
// and the streamed exports (keyed, tenant-scoped, formula-safe, signed links,
// the CLI). Stored rows are seeded straight into the database: what is under
// test is the read path; usage is made by real calls to the fake endpoint.

const BASE = Date.UTC(2026, 10, 1);
const at = (seconds: number) => new Date(BASE + seconds * 1000);

/** Answers that catch wrong search rules: LIKE wildcards, the escape character, ASCII and non-ASCII case; and one formula. */
const TEXTS = ['A cat sits on a mat.', 'A CAT, loud.', 'Scored 100%_sure.', 'Path C:\\cats\\x', '=HYPERLINK("http://evil.example","cat")', 'Ärger', 'ärger im Bild', 'Nothing here.'];
const PROMPTS = ['What is it?', 'Is 50% _ visible?', 'Was ist ÄRGER?'];
const QUESTIONS = 24;

interface Row {
  id: string;
  tenant: string;
  imageId: string;
  kind: string;
  style: string | null;
  prompt: string;
  text: string;
  createdAt: Date;
  flagged?: boolean;
  categories?: string;
}

interface Seeded {
  images: Array<{ id: string; mimeType: string; createdAt: Date; captioned: boolean }>;
  questions: Row[];
  captions: Row[];
  moderations: Row[];
}

const newestFirst = <T extends { createdAt: Date; id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));

const answerData = (row: Row) => ({ ...row, model: 'qwen-vl-test', promptTokens: 10, completionTokens: 2, totalTokens: 12, latencyMs: 5 });

/** One tenant's rows: 5 images (png/jpeg, 3 captioned), questions with tied timestamps, 2 moderation verdicts. */
async function seed(db: Db, tenant: string): Promise<Seeded> {
  const images = Array.from({ length: 5 }, (_, i) => ({ id: `${tenant}-img-${i}`, mimeType: i % 2 ? 'image/jpeg' : 'image/png', createdAt: at(i * 10), captioned: i < 3 }));
  await db.image.createMany({
    data: images.map(({ id, mimeType, createdAt }) => ({ id, tenant, mimeType, createdAt, sha256: randomBytes(32).toString('hex'), width: 1, height: 1, byteSize: 1 })),
  });
  const row = (id: string, imageId: string, kind: string, prompt: string, text: string, createdAt: Date, style: string | null = null): Row => ({ id, tenant, imageId, kind, style, prompt, text, createdAt });
  const questions = Array.from({ length: QUESTIONS }, (_, i) =>
    // Every second row shares its neighbour's timestamp: pages must order ties by id.
    row(`${tenant}-q-${String(i).padStart(2, '0')}`, images[i % 5]!.id, 'QUESTION', `${PROMPTS[i % PROMPTS.length]} #${i}`, TEXTS[i % TEXTS.length]!, at(100 + Math.floor(i / 2))),
  );
  const captions = images.filter((image) => image.captioned).map((image, i) => row(`${tenant}-c-${i}`, image.id, 'CAPTION', `caption ${i}`, TEXTS[i]!, at(200 + i), 'BRIEF'));
  const verdict = (flagged: boolean, categories: string[]) => JSON.stringify({ flagged, categories, rationale: flagged ? 'Shows a weapon.' : 'Nothing found.' });
  const moderations = [
    { ...row(`${tenant}-m-0`, images[0]!.id, 'MODERATION', 'moderate', verdict(true, ['WEAPONS']), at(300)), flagged: true, categories: storedCategories(['WEAPONS']) },
    { ...row(`${tenant}-m-1`, images[1]!.id, 'MODERATION', 'moderate', verdict(false, []), at(301)), flagged: false, categories: storedCategories([]) },
  ];
  await db.answer.createMany({ data: [...questions, ...captions, ...moderations].map(answerData) });
  return { images, questions: newestFirst(questions), captions: newestFirst(captions), moderations: newestFirst(moderations) };
}

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted && char === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && char === '\r' && text[i + 1] === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
      i++;
    } else {
      field += char;
    }
  }
  return rows;
}

const csvRecords = (text: string) => {
  const [header, ...rows] = parseCsv(text);
  return rows.map((cells) => Object.fromEntries(header!.map((name, i) => [name, cells[i]])));
};

const jsonLines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

interface Connection {
  totalCount?: number;
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

function suite(name: string, databaseUrl: () => string | undefined, dialect: 'sqlite' | 'postgresql') {
  describe(name, () => {
    let h: Harness;
    let db: Db;
    let alice: GraphQLClient;
    let bob: GraphQLClient;
    let aliceKey: string;
    let bobKey: string;
    let mine: Seeded;
    let theirs: Seeded;

    beforeAll(async () => {
      const url = databaseUrl();
      h = await startHarness({ env: url ? { DATABASE_URL: url } : {} });
      aliceKey = (await h.gateway.app.services.keys.create({ tenant: 'alice' })).key;
      bobKey = (await h.gateway.app.services.keys.create({ tenant: 'bob' })).key;
      alice = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${aliceKey}` });
      bob = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${bobKey}` });
      db = await openDatabase(h.gateway.app.config.databaseUrl);
      mine = await seed(db, 'alice');
      theirs = await seed(db, 'bob');
    }, 60_000);
    afterAll(async () => {
      await db?.$disconnect();
      await h?.close();
    });

    const origin = () => h.gateway.server.url.replace(/\/graphql$/, '');
    const download = (pathAndQuery: string, key: string | null = aliceKey) =>
      fetch(`${origin()}${pathAndQuery}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

    async function list(client: GraphQLClient, field: string, args: string, selection = 'totalCount'): Promise<Connection> {
      const response = await client.request<Record<string, Connection>>(
        `{ ${field}(${args}) { ${selection} edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
      );
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return response.data![field]!;
    }

    /** Every id of a list, walking forward (first/after) or backward (last/before) with pages of `size`. */
    async function walk(field: string, filter: string, size: number, direction: 'forward' | 'backward'): Promise<string[]> {
      const ids: string[] = [];
      for (let cursor: string | null = null; ; ) {
        const paging: string = direction === 'forward' ? `first: ${size}${cursor ? `, after: "${cursor}"` : ''}` : `last: ${size}${cursor ? `, before: "${cursor}"` : ''}`;
        const page = await list(alice, field, [paging, filter].filter(Boolean).join(', '), '');
        const pageIds = page.edges.map((edge) => edge.node.id);
        if (direction === 'forward') {
          ids.push(...pageIds);
          if (!page.pageInfo.hasNextPage) return ids;
          cursor = page.pageInfo.endCursor;
        } else {
          ids.unshift(...pageIds);
          expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
          if (!page.pageInfo.hasPreviousPage) return ids;
          cursor = page.pageInfo.startCursor;
        }
      }
    }

    it('counts every connection when totalCount is asked, and only then (one COUNT query)', async () => {
      const counts = { images: 5, questions: QUESTIONS, captions: 3, moderations: 2, jobs: 0, conversations: 0, texts: 0, detections: 0 };
      for (const [field, count] of Object.entries(counts)) expect((await list(alice, field, 'first: 1')).totalCount, field).toBe(count);

      const sent: string[] = [];
      const stop = h.gateway.app.statements.watch((sql) => sent.push(sql));
      try {
        await list(alice, 'questions', 'first: 2, filter: { textContains: "cat" }', '');
        expect(sent.filter((sql) => /count\(/i.test(sql))).toEqual([]);
        const counted = await list(alice, 'questions', 'first: 2, filter: { textContains: "cat" }');
        expect(counted.totalCount).toBe(mine.questions.filter((q) => q.text.includes('cat')).length);
        expect(sent.filter((sql) => /count\(/i.test(sql))).toHaveLength(1);
      } finally {
        stop();
      }
    });

    it('pages backward with last/before over the same rows as forward, each page in list order', async () => {
      for (const [field, filter, expected] of [
        ['questions', '', mine.questions.map((q) => q.id)],
        ['questions', 'filter: { promptContains: "%" }', mine.questions.filter((q) => q.prompt.includes('%')).map((q) => q.id)],
        ['images', 'filter: { mimeType: "image/png" }', newestFirst(mine.images.filter((i) => i.mimeType === 'image/png')).map((i) => i.id)],
        ['moderations', '', mine.moderations.map((m) => m.id)],
      ] as const) {
        expect(await walk(field, filter, 5, 'forward'), `${field} ${filter}`).toEqual(expected);
        expect(await walk(field, filter, 5, 'backward'), `${field} ${filter}`).toEqual(expected);
      }
      // The rows between two cursors, the last two of them.
      const ids = mine.questions.map((q) => q.id);
      const all = await list(alice, 'questions', 'first: 100', '');
      const [after, before] = [all.edges[3]!.cursor, all.edges[10]!.cursor];
      const window = await list(alice, 'questions', `after: "${after}", before: "${before}", last: 2`, '');
      expect(window.edges.map((e) => e.node.id)).toEqual(ids.slice(8, 10));
      expect(window.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    });

    it('filters images by time, type and whether they have a caption, and counts the filtered list', async () => {
      const cases: Array<[string, (image: Seeded['images'][number]) => boolean]> = [
        [`createdAfter: "${at(20).toISOString()}"`, (i) => i.createdAt >= at(20)],
        [`createdBefore: "${at(20).toISOString()}"`, (i) => i.createdAt < at(20)],
        ['mimeType: "image/jpeg"', (i) => i.mimeType === 'image/jpeg'],
        ['hasCaption: true', (i) => i.captioned],
        ['hasCaption: false', (i) => !i.captioned],
        [`hasCaption: true, mimeType: "image/png", createdAfter: "${at(10).toISOString()}"`, (i) => i.captioned && i.mimeType === 'image/png' && i.createdAt >= at(10)],
      ];
      for (const [filter, keep] of cases) {
        const page = await list(alice, 'images', `first: 20, filter: { ${filter} }`);
        const expected = newestFirst(mine.images.filter(keep)).map((i) => i.id);
        expect(page.edges.map((e) => e.node.id), filter).toEqual(expected);
        expect(page.totalCount, filter).toBe(expected.length);
      }
    });

    it('searches captions and answers as a literal, case-sensitive substring, in the caller’s tenant only', async () => {
      for (const text of ['cat', 'CAT', '%_', '%', '_', '\\', 'C:\\cats', 'ärger', 'Ärger', '"cat"', 'zebra']) {
        const literal = JSON.stringify(text);
        const questions = await list(alice, 'questions', `first: 100, filter: { textContains: ${literal} }`);
        const expected = mine.questions.filter((q) => q.text.includes(text)).map((q) => q.id);
        expect(questions.edges.map((e) => e.node.id), text).toEqual(expected);
        expect(questions.totalCount, text).toBe(expected.length);
        const captions = await list(alice, 'captions', `first: 100, filter: { textContains: ${literal} }`);
        expect(captions.edges.map((e) => e.node.id), text).toEqual(mine.captions.filter((c) => c.text.includes(text)).map((c) => c.id));
        const theirQuestions = await list(bob, 'questions', `first: 100, filter: { textContains: ${literal} }`);
        expect(theirQuestions.edges.map((e) => e.node.id), text).toEqual(theirs.questions.filter((q) => q.text.includes(text)).map((q) => q.id));
      }
      expect(mine.questions.filter((q) => q.text.includes('%_'))).toHaveLength(3);
    });

    if (dialect === 'postgresql') it('serves the text search from the pg_trgm index the migration made', async () => {
      const target = parseDatabaseUrl(h.gateway.app.config.databaseUrl);
      if (target.kind !== 'postgresql') throw new Error('expected PostgreSQL');
      const client = new pg.Client(pgPoolConfig(target));
      await client.connect();
      try {
        const indexes = await client.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef LIKE $3', [target.schema, 'Answer', '%gin_trgm_ops%']);
        expect(indexes.rows.map((row) => row.indexname).sort()).toEqual(['Answer_prompt_trgm_idx', 'Answer_text_trgm_idx']);
        // The planner's choice on a few rows is a seq scan; with that ruled out, the LIKE the search sends must be able to use the index.
        await client.query('SET enable_seqscan = off');
        const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT id FROM "Answer" WHERE "text" LIKE $1 ESCAPE '\\'`, ['%100\\%\\_%']);
        expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('Answer_text_trgm_idx');
      } finally {
        await client.end();
      }
    });

    it('exports questions as CSV: the filtered rows of the caller’s tenant, formula-safe, as a dated attachment', async () => {
      const response = await download('/export/questions.csv?textContains=cat');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="questions-\d{4}-\d{2}-\d{2}\.csv"$/);
      const text = await response.text();
      expect(text.split('\r\n')[0]).toBe('id,imageId,prompt,answer,model,promptTokens,completionTokens,totalTokens,cachedTokens,latencyMs,createdAt,cost,costCurrency');
      const records = csvRecords(text);
      const expected = mine.questions.filter((q) => q.text.includes('cat'));
      expect(records.map((r) => r.id)).toEqual(expected.map((q) => q.id));
      for (const [i, record] of records.entries()) {
        const stored = expected[i]!;
        expect(record).toMatchObject({ imageId: stored.imageId, prompt: stored.prompt, model: 'qwen-vl-test', totalTokens: '12', createdAt: stored.createdAt.toISOString() });
        // A cell a spreadsheet would run as a formula starts with an apostrophe; the rest is the text as stored.
        expect(record.answer).toBe(stored.text.startsWith('=') ? `'${stored.text}` : stored.text);
      }
      expect(records.some((r) => r.answer!.startsWith("'="))).toBe(true);

      const theirs_ = csvRecords(await (await download('/export/questions.csv', bobKey)).text());
      expect(theirs_.map((r) => r.id)).toEqual(theirs.questions.map((q) => q.id));
    });

    it('exports captions and moderations as JSON Lines, with the list filters as query parameters', async () => {
      const captions = await download(`/export/captions.jsonl?style=BRIEF&createdAfter=${encodeURIComponent(at(201).toISOString())}`);
      expect(captions.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(captions.headers.get('content-disposition')).toMatch(/filename="captions-\d{4}-\d{2}-\d{2}\.jsonl"/);
      expect(jsonLines(await captions.text())).toEqual(
        mine.captions.filter((c) => c.createdAt >= at(201)).map((c) => ({
          id: c.id, imageId: c.imageId, style: 'BRIEF', text: c.text, model: 'qwen-vl-test',
          promptTokens: 10, completionTokens: 2, totalTokens: 12, cachedTokens: 0, latencyMs: 5, createdAt: c.createdAt.toISOString(),
          cost: null, costCurrency: null, // qwen-vl-test has no price
        })),
      );
      const flagged = jsonLines(await (await download('/export/moderations.jsonl?flagged=true')).text());
      expect(flagged).toEqual([expect.objectContaining({ id: 'alice-m-0', flagged: true, categories: ['WEAPONS'], rationale: 'Shows a weapon.' })]);
      const all = jsonLines(await (await download('/export/moderations.jsonl')).text());
      expect(all.map((m) => m.id)).toEqual(mine.moderations.map((m) => m.id));
    });

    it('refuses exports without a key, with unknown or malformed parameters, and of unknown kinds, with coded JSON errors', async () => {
      const codeOf = async (response: Response) => ({ status: response.status, code: ((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code });
      expect(await codeOf(await download('/export/questions.csv', null))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(await codeOf(await download('/export/questions.csv?textContain=cat'))).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
      expect(await codeOf(await download('/export/questions.csv?createdAfter=yesterday'))).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
      expect(await codeOf(await download('/export/questions.csv?model=a&model=b'))).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
      expect(await codeOf(await download('/export/captions.csv?style=HUGE'))).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
      expect(await codeOf(await download('/export/answers.csv'))).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(await codeOf(await download('/export/questions.xlsx'))).toEqual({ status: 404, code: 'NOT_FOUND' });
    });

    it('mints exportUrl links that download with no header, only as minted', async () => {
      const minted = await alice.request<{ exportUrl: string }>('{ exportUrl(kind: QUESTIONS, format: CSV, questions: { textContains: "cat" }) }');
      expect(minted.errors).toBeUndefined();
      const link = new URL(minted.data!.exportUrl);
      expect(link.pathname).toBe('/export/questions.csv');
      const viaLink = await fetch(link);
      expect(viaLink.status).toBe(200);
      expect(await viaLink.text()).toBe(await (await download('/export/questions.csv?textContains=cat')).text());

      const tampered = new URL(link);
      tampered.searchParams.set('textContains', 'c');
      expect((await fetch(tampered)).status).toBe(403);
      const otherKind = new URL(link.toString().replace('/export/questions.csv', '/export/captions.csv'));
      expect((await fetch(otherKind)).status).toBe(403);

      const wrongFilter = await alice.request('{ exportUrl(kind: QUESTIONS, captions: { style: BRIEF }) }');
      expect(errorCodes(wrongFilter)).toEqual(['BAD_USER_INPUT']);
    });

    it('exports usage as Query.usage sums it, for the caller’s tenant', async () => {
      const image = await uploadNew(alice, { width: 32, height: 24, color: '#3366cc', format: 'png' });
      const captioned = await alice.request(`mutation { captionImage(imageId: "${image.id}") { id } }`);
      expect(captioned.errors).toBeUndefined();
      const sums = await alice.request<{ usage: Array<Record<string, unknown>> }>('{ usage(groupBy: [MODEL, KIND]) { model kind calls results totalTokens cacheHits tokensSaved } }');
      expect(sums.errors).toBeUndefined();
      expect(sums.data!.usage.length).toBeGreaterThan(0);
      const exported = jsonLines(await (await download('/export/usage.jsonl?groupBy=MODEL,KIND')).text());
      expect(exported.map(({ model, kind, calls, results, totalTokens, cacheHits, tokensSaved }) => ({ model, kind, calls, results, totalTokens, cacheHits, tokensSaved }))).toEqual(sums.data!.usage);
      expect(jsonLines(await (await download('/export/usage.jsonl?groupBy=MODEL,KIND', bobKey)).text())).toEqual([]);
    });
  });
}

suite('lists and exports on SQLite', () => undefined, 'sqlite');

const pgUrl = postgresSchemaUrl('lists');
describe.skipIf(postgresMissing)('PostgreSQL', () => {
  suite('lists and exports on PostgreSQL', () => pgUrl, 'postgresql');
  afterAll(async () => {
    const target = parseDatabaseUrl(pgUrl);
    if (target.kind === 'postgresql') await dropSchema(target);
  });
});

describe('exports at scale and from the command line', () => {
  const ROWS = 100_000;
  let h: Harness;
  let db: Db;
  let key: string;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness();
    key = (await h.gateway.app.services.keys.create({ tenant: 'bulk' })).key;
    db = await openDatabase(h.gateway.app.config.databaseUrl);
    dir = await mkdtemp(path.join(os.tmpdir(), 'export-cli-'));
    await db.image.create({ data: { id: 'bulk-img', tenant: 'bulk', sha256: 'b'.repeat(64), mimeType: 'image/png', width: 1, height: 1, byteSize: 1 } });
    // Straight into the file in one transaction (Prisma's createMany takes half a minute for this many);
    // DateTime as Prisma's SQLite adapter writes it.
    const target = parseDatabaseUrl(h.gateway.app.config.databaseUrl);
    if (target.kind !== 'sqlite') throw new Error('expected SQLite');
    const file = new Database(target.path);
    try {
      const insert = file.prepare(
        'INSERT INTO "Answer" (id, tenant, imageId, kind, prompt, text, model, promptTokens, completionTokens, totalTokens, cachedTokens, latencyMs, createdAt) ' +
          "VALUES (?, 'bulk', 'bulk-img', 'QUESTION', ?, ?, 'qwen-vl-test', 10, 2, 12, 0, 5, ?)",
      );
      file.transaction(() => {
        for (let i = 0; i < ROWS; i++) insert.run(`bulk-${String(i).padStart(6, '0')}`, `Question ${i}?`, `Answer ${i}`, at(Math.floor(i / 3)).toISOString().replace('Z', '+00:00'));
      })();
    } finally {
      file.close();
    }
  }, 120_000);
  afterAll(async () => {
    await db?.$disconnect();
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`streams all ${ROWS} rows, each once, newest first`, { timeout: 120_000 }, async () => {
    const response = await fetch(`${h.gateway.server.url.replace(/\/graphql$/, '')}/export/questions.jsonl`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const decoder = new TextDecoder();
    let rest = '';
    let count = 0;
    let previous: { createdAt: string; id: string } | null = null;
    for await (const chunk of response.body!) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const row = JSON.parse(line) as { id: string; createdAt: string; answer: string };
        const i = Number(row.id.slice(5));
        expect(row.answer).toBe(`Answer ${i}`);
        if (previous) expect(previous.createdAt > row.createdAt || (previous.createdAt === row.createdAt && previous.id > row.id)).toBe(true);
        previous = row;
        count++;
      }
    }
    expect(rest).toBe('');
    expect(count).toBe(ROWS);
  });

  it('npm run export writes the same file the route serves', { timeout: 60_000 }, async () => {
    const out = path.join(dir, 'q.csv');
    const since = at(30_000).toISOString();
    const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', 'questions', '--since', since, '--out', out, '--url', h.gateway.server.url], {
      env: { ...process.env, GATEWAY_API_KEY: key },
    });
    expect(cli.stderr).toContain(`wrote ${out}`);
    const served = await (await fetch(`${h.gateway.server.url.replace(/\/graphql$/, '')}/export/questions.csv?createdAfter=${encodeURIComponent(since)}`, { headers: { authorization: `Bearer ${key}` } })).text();
    const written = await readFile(out, 'utf8');
    expect(written).toBe(served);
    expect(csvRecords(written)).toHaveLength(ROWS - 90_000);
  });
});
