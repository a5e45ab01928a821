import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRepository } from '../../src/modules/analytics/usage.repository.js';
import { openDatabase } from '../../src/platform/database/database.js';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { collect, errorCodes, GraphQLClient, wsClient, type GraphQLResponse } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { postgresMissing, postgresSchemaUrl } from '../support/services.js';

/**
 * Query.usage over work done through the real API against the fake
 * endpoint, which bills every request the same: the sums must equal what the
 * fake was asked (calls, a packed call once) and the usage stored with each
 * result; cache hits count what they would have cost; every tenant sees only
 * its own, an admin key every tenant. Then the usage metrics on /metrics.
 * On both databases (PostgreSQL: a server or PGlite, test/support/services.ts).
 */

const DATABASES = [
  { name: 'SQLite', url: null },
  ...(postgresMissing ? [] : [{ name: 'PostgreSQL', url: postgresSchemaUrl('usage') }]),
];

const BILLED = { prompt: 700, completion: 30, cached: 5 };
const PER_CALL = BILLED.prompt + BILLED.completion;
const MODEL = 'qwen-vl-test';

const USAGE = `query($from: DateTime, $to: DateTime, $groupBy: [UsageDimension!], $filter: UsageFilter) {
  usage(from: $from, to: $to, groupBy: $groupBy, filter: $filter) {
    day hour model kind apiKeyId tenant calls results promptTokens completionTokens totalTokens cachedTokens cacheHits tokensSaved
  }
}`;
const ASK = 'mutation($id: ID!, $q: String!) { askQuestion(imageId: $id, question: $q) { id cached usage { totalTokens } } }';
const CAPTION = 'mutation($id: ID!) { captionImage(imageId: $id) { id cached usage { totalTokens } } }';
const SUBMIT = 'mutation($input: AnalysisInput!) { submitAnalysis(input: $input) { id } }';
const COMPLETED = 'subscription($id: ID!) { jobCompleted(id: $id) { status done } }';
const STORED = `{ captions(first: 100) { edges { node { usage { promptTokens completionTokens totalTokens cachedTokens } } } }
  questions(first: 100) { edges { node { usage { promptTokens completionTokens totalTokens cachedTokens } } } } }`;

interface Bucket {
  day: string | null;
  hour: string | null;
  model: string | null;
  kind: string | null;
  apiKeyId: string | null;
  tenant: string | null;
  calls: number;
  results: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  cacheHits: number;
  tokensSaved: number;
}
type UsageResponse = GraphQLResponse<{ usage: Bucket[] }>;

interface Key {
  id: string;
  client: GraphQLClient;
  authorization: string;
}

let h: Harness;
let alice: Key;
let alice2: Key;
let bob: Key;
let admin: Key;
/** Upstream requests the fake received for each tenant's work. */
let requestsOf = { alice: 0, bob: 0 };

async function keyFor(tenant: string, admin = false): Promise<Key> {
  const { record, key } = await h.gateway.app.services.keys.create({ tenant, admin });
  const authorization = `Bearer ${key}`;
  return { id: record.id, client: new GraphQLClient(h.gateway.server.url, { authorization }), authorization };
}

/** Runs `work` and counts the upstream requests it made. */
async function counted(work: () => Promise<unknown>): Promise<number> {
  const before = h.fake.requests.length;
  await work();
  return h.fake.requests.length - before;
}

async function usage(key: Key, variables: Record<string, unknown> = {}): Promise<Bucket[]> {
  const response: UsageResponse = await key.client.request(USAGE, variables);
  expect(response.errors).toBeUndefined();
  return response.data!.usage;
}

async function ok<T>(key: Key, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await key.client.request<T>(query, variables);
  expect(response.errors).toBeUndefined();
  return response.data!;
}

async function runJob(key: Key, input: Record<string, unknown>): Promise<void> {
  const { submitAnalysis } = await ok<{ submitAnalysis: { id: string } }>(key, SUBMIT, { input });
  const ws = wsClient(h.gateway.server.url, { authorization: key.authorization });
  try {
    const events = await collect<{ jobCompleted: { status: string } }>(ws, COMPLETED, { id: submitAnalysis.id });
    expect(events.at(-1)?.data?.jobCompleted.status).toBe('SUCCEEDED');
  } finally {
    await ws.dispose();
  }
}

const sum = (buckets: Bucket[], field: keyof Bucket) => buckets.reduce((total, b) => total + (b[field] as number), 0);

describe.each(DATABASES)('usage on $name', ({ url }) => {
  beforeAll(async () => {
    requestsOf = { alice: 0, bob: 0 };
    h = await startHarness({ fake: { usage: BILLED }, env: url ? { DATABASE_URL: url } : {} });
    [alice, alice2, bob, admin] = [await keyFor('alice'), await keyFor('alice'), await keyFor('bob'), await keyFor('ops', true)];

    const one = await uploadNew(alice.client, { format: 'png', width: 32, height: 24, color: '#336699' });
    const two = await uploadNew(alice.client, { format: 'png', width: 32, height: 24, color: '#993366' });
    requestsOf.alice += await counted(async () => {
      await ok(alice, ASK, { id: one.id, q: 'What colour is it?' });
      await ok(alice, CAPTION, { id: one.id });
      // Three prompts about one image: one packed request.
      await runJob(alice, { imageIds: [two.id], captionStyles: ['BRIEF', 'DETAILED'], questions: ['Is it square?'] });
    });
    // The other alice key asks what is stored: a cache hit, no request.
    expect(await counted(() => ok<{ askQuestion: { cached: boolean } }>(alice2, ASK, { id: one.id, q: 'What colour is it?' }).then((d) => expect(d.askQuestion.cached).toBe(true)))).toBe(0);

    const three = await uploadNew(bob.client, { format: 'png', width: 20, height: 20, color: '#119911' });
    requestsOf.bob += await counted(async () => {
      // A failed call is a call too, billed nothing.
      h.fake.inject({ kind: 'status', status: 500 });
      const failed = await bob.client.request(ASK, { id: three.id, q: 'What is it?' });
      expect(errorCodes(failed)).toEqual(['MODEL_UNAVAILABLE']);
      await ok(bob, ASK, { id: three.id, q: 'What is it?' });
    });
  });
  afterAll(async () => {
    await h?.close();
    const target = url && parseDatabaseUrl(url);
    if (target && target.kind === 'postgresql') await dropSchema(target);
  });

  describe('Query.usage', () => {
    it('sums the calls the endpoint was sent (a packed call once), with what it billed, and the usage stored with the results', async () => {
      expect(requestsOf.alice).toBe(3);
      const [total, ...more] = await usage(alice, { groupBy: [] });
      expect(more).toEqual([]);
      expect(total).toMatchObject({
        calls: 3,
        promptTokens: 3 * BILLED.prompt,
        completionTokens: 3 * BILLED.completion,
        totalTokens: 3 * PER_CALL,
        cachedTokens: 3 * BILLED.cached,
        // 1 question + 1 caption + 3 job results made by calls, and 1 served from the cache.
        results: 6,
        cacheHits: 1,
        tokensSaved: PER_CALL,
      });
      const stored = await ok<{ captions: { edges: Array<{ node: { usage: Record<string, number> } }> }; questions: { edges: Array<{ node: { usage: Record<string, number> } }> } }>(alice, STORED, {});
      const rows = [...stored.captions.edges, ...stored.questions.edges].map((edge) => edge.node.usage);
      expect(rows).toHaveLength(5);
      for (const field of ['promptTokens', 'completionTokens', 'totalTokens', 'cachedTokens'] as const) {
        expect(rows.reduce((s, usage) => s + usage[field]!, 0)).toBe(total![field]);
      }
    });

    it('groups by key, kind, model, day and hour', async () => {
      const byKey = await usage(alice, { groupBy: ['API_KEY'] });
      expect(byKey).toHaveLength(2);
      expect(byKey.find((b) => b.apiKeyId === alice.id)).toMatchObject({ calls: 3, results: 5, cacheHits: 0, tokensSaved: 0, totalTokens: 3 * PER_CALL });
      expect(byKey.find((b) => b.apiKeyId === alice2.id)).toMatchObject({ calls: 0, results: 1, cacheHits: 1, tokensSaved: PER_CALL, totalTokens: 0 });

      const byKind = await usage(alice, { groupBy: ['KIND'] });
      const kind = (name: string) => byKind.find((b) => b.kind === name);
      // The job's packed call asked captions and a question: its kind is MIXED; results keep their own kinds.
      expect(kind('MIXED')).toMatchObject({ calls: 1, results: 0, totalTokens: PER_CALL });
      expect(kind('QUESTION')).toMatchObject({ calls: 1, results: 3, cacheHits: 1 });
      expect(kind('CAPTION')).toMatchObject({ calls: 1, results: 3, cacheHits: 0 });
      expect(byKind.every((b) => b.model === null && b.day === null)).toBe(true);

      const now = new Date();
      const [day] = await usage(alice, { groupBy: ['DAY', 'MODEL'] });
      expect(day).toMatchObject({ model: MODEL, calls: 3, day: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString(), hour: null });
      const hours = await usage(alice, { groupBy: ['HOUR'] });
      expect(sum(hours, 'calls')).toBe(3);
      for (const bucket of hours) {
        expect(new Date(bucket.hour!).getUTCMinutes()).toBe(0);
        expect(bucket.day).toBe(day!.day);
      }
    });

    it('narrows by filter and by range (from ≤ t < to)', async () => {
      expect(await usage(alice, { groupBy: [], filter: { apiKeyId: alice2.id } })).toMatchObject([{ calls: 0, cacheHits: 1 }]);
      expect(await usage(alice, { groupBy: [], filter: { kind: 'CAPTION', model: MODEL } })).toMatchObject([{ calls: 1, results: 3 }]);
      const past = await usage(alice, { groupBy: [], from: '2020-01-01T00:00:00Z', to: new Date(Date.now() - 3_600_000).toISOString() });
      expect(past).toEqual([expect.objectContaining({ calls: 0, results: 0, totalTokens: 0 })]);
      expect(await usage(alice, { groupBy: ['DAY'], to: new Date(Date.now() - 3_600_000).toISOString() })).toEqual([]);
      const backwards: UsageResponse = await alice.client.request(USAGE, { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
      expect(errorCodes(backwards)).toEqual(['BAD_USER_INPUT']);
    });

    it('is scoped to the caller’s tenant: failed calls count, billed nothing', async () => {
      expect(requestsOf.bob).toBe(2);
      expect(await usage(bob, { groupBy: [] })).toMatchObject([{ calls: 2, results: 1, totalTokens: PER_CALL, cacheHits: 0 }]);
      expect(await usage(bob, { groupBy: [], filter: { apiKeyId: alice.id } })).toMatchObject([{ calls: 0, results: 0 }]);
      for (const variables of [{ groupBy: ['TENANT'] }, { filter: { tenant: 'bob' } }]) {
        const refused: UsageResponse = await alice.client.request(USAGE, variables);
        expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
      }
    });

    it('shows an admin key every tenant, grouped by TENANT or one at a time', async () => {
      const byTenant = await usage(admin, { groupBy: ['TENANT'] });
      expect(byTenant.map((b) => [b.tenant, b.calls, b.totalTokens])).toEqual([
        ['alice', 3, 3 * PER_CALL],
        ['bob', 2, PER_CALL],
      ]);
      expect(await usage(admin, { groupBy: [], filter: { tenant: 'bob' } })).toMatchObject([{ calls: 2 }]);
    });

    it('sums past 2^31 tokens (a busy month) exactly, and stores a tally saving more than that', async () => {
      // Written as the ledger writes them, in a month of its own and a tenant of its own, so nothing above sees them.
      const db = await openDatabase(url ?? `file:${path.join(h.gateway.dataDir, 'gateway.db')}`);
      try {
        const ledger = new UsageRepository(db, { dialect: url ? 'postgresql' : 'sqlite', queryTimeoutMs: 10_000 });
        const at = new Date('2020-01-15T12:00:00Z');
        const billed = { promptTokens: 1_400_000_000, completionTokens: 100_000_000, totalTokens: 1_500_000_000, cachedTokens: 0 };
        const call = { tenant: 'carol', apiKeyId: null, model: MODEL, kind: 'QUESTION', outcome: 'ok', estimated: false, ...billed, latencyMs: 1, createdAt: at };
        await ledger.insert([call, call], [{ tenant: 'carol', apiKeyId: null, model: MODEL, kind: 'QUESTION', match: 'EXACT', results: 2, cacheHits: 2, tokensSaved: 3_000_000_000, savedPromptTokens: 2_800_000_000, savedCompletionTokens: 200_000_000, savedCachedTokens: 0, createdAt: at }]);
      } finally {
        await db.$disconnect();
      }
      const [month] = await usage(admin, { groupBy: [], from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z', filter: { tenant: 'carol' } });
      expect(month).toMatchObject({ calls: 2, promptTokens: 2_800_000_000, completionTokens: 200_000_000, totalTokens: 3_000_000_000, cacheHits: 2, tokensSaved: 3_000_000_000 });
    });

    it('stores a flush of more calls than one INSERT takes, each call timed to the millisecond as Prisma stores its own rows', async () => {
      const db = await openDatabase(url ?? `file:${path.join(h.gateway.dataDir, 'gateway.db')}`);
      const [before, after] = [new Date('2020-03-10T12:59:59.999Z'), new Date('2020-03-10T13:00:00.000Z')];
      const call = { tenant: 'dave', apiKeyId: null, model: MODEL, kind: 'CAPTION', outcome: 'ok', estimated: true, promptTokens: 3, completionTokens: 2, totalTokens: 5, cachedTokens: 1, latencyMs: 7 };
      try {
        const ledger = new UsageRepository(db, { dialect: url ? 'postgresql' : 'sqlite', queryTimeoutMs: 10_000 });
        // 2,500 calls: three INSERTs of the ledger's, one transaction.
        await ledger.insert([...Array.from({ length: 1_250 }, () => ({ ...call, createdAt: before })), ...Array.from({ length: 1_250 }, () => ({ ...call, createdAt: after }))], []);
        // One row written by Prisma itself at the same instant: the two ways must store time alike.
        await db.modelCall.create({ data: { id: 'usage-test-orm-row', ...call, createdAt: after } });
        expect(await db.modelCall.count({ where: { tenant: 'dave', estimated: true, cachedTokens: 1, createdAt: { gte: after } } })).toBe(1_251);
      } finally {
        await db.$disconnect();
      }
      const hours = await usage(admin, { groupBy: ['HOUR'], from: '2020-03-10T00:00:00Z', to: '2020-03-11T00:00:00Z', filter: { tenant: 'dave' } });
      expect(hours.map((b) => [b.hour, b.calls, b.totalTokens])).toEqual([
        ['2020-03-10T12:00:00.000Z', 1_250, 1_250 * 5],
        ['2020-03-10T13:00:00.000Z', 1_251, 1_251 * 5],
      ]);
      const [fromTheHour] = await usage(admin, { groupBy: [], from: after.toISOString(), to: '2020-03-11T00:00:00Z', filter: { tenant: 'dave' } });
      expect(fromTheHour).toMatchObject({ calls: 1_251, cachedTokens: 1_251 });
    });
  });

  describe('usage metrics', () => {
    it('counts calls, tokens and results by model and kind, with a cache hit ratio and latency histograms', async () => {
      const text = await (await fetch(new URL('/metrics', h.gateway.server.url))).text();
      const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}()[\]]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(value(`gateway_model_calls_total{model="${MODEL}",kind="QUESTION",outcome="ok"}`)).toBe(2);
      expect(value(`gateway_model_calls_total{model="${MODEL}",kind="QUESTION",outcome="MODEL_UNAVAILABLE"}`)).toBe(1);
      expect(value(`gateway_model_calls_total{model="${MODEL}",kind="MIXED",outcome="ok"}`)).toBe(1);
      expect(value(`gateway_model_tokens_total{model="${MODEL}",kind="CAPTION",type="prompt"}`)).toBe(BILLED.prompt);
      expect(value(`gateway_results_total{model="${MODEL}",kind="QUESTION",source="cache"}`)).toBe(1);
      expect(value(`gateway_tokens_saved_total{model="${MODEL}",kind="QUESTION"}`)).toBe(PER_CALL);
      expect(value(`gateway_upstream_request_duration_seconds_count{model="${MODEL}",kind="QUESTION",outcome="ok"}`)).toBe(2);
      const ratio = value('gateway_answer_cache_hit_ratio');
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThan(1);
      // No tenant label unless METRICS_TENANT_LABELS is on.
      expect(text).not.toMatch(/gateway_model_calls_total\{[^}]*tenant=/);
    });

    it('backs every metric the Grafana dashboard in docs/ queries', async () => {
      const text = await (await fetch(new URL('/metrics', h.gateway.server.url))).text();
      const dashboard = await readFile(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
      const used = new Set([...dashboard.matchAll(/gateway_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')));
      expect(used.size).toBeGreaterThanOrEqual(5);
      for (const name of used) expect(text, name).toContain(`# TYPE ${name} `);
    });
  });
});
