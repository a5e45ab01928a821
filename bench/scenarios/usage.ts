/**
 * 6. Query.usage over generated rows: `rows` upstream calls (ModelCall) in the
 * last 30 days and a tally row per tenant, key, model, kind and hour
 * (ResultTally), on SQLite and on PostgreSQL, each in a scratch database. The
 * rows are made by the database itself (a recursive CTE, generate_series), in
 * the format Prisma writes. Then each query shape `Query.usage` sends is
 * timed (median of a few runs, after one warm-up) through UsageRepository,
 * the code the gateway runs. Target (issue #15): a 30-day query over 1 million
 * rows under a second on PostgreSQL.
 *
 * Alone: `npx tsx bench/scenarios/usage.ts [rows]` (default 1,000,000).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Prisma } from '../../src/generated/prisma/client.js';
import { UsageRepository, type UsageQuery } from '../../src/modules/analytics/usage.repository.js';
import { openDatabase, type Db } from '../../src/platform/database/database.js';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { migrateDatabase } from '../../src/platform/database/migrate.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { now, round } from '../lib/stats.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const TENANTS = 20;
const KEYS_PER_TENANT = 3;
const MODELS = ['qwen-vl-max', 'qwen-vl-plus', 'qwen3-vl-235b'];
const KINDS = ['CAPTION', 'QUESTION', 'MIXED', 'MODERATION', 'CONVERSATION', 'DETECTION'];
const RUNS = 5;
/** The target of issue #15, on PostgreSQL. */
export const USAGE_TARGET_MS = 1000;

export interface UsageQueryTiming {
  name: string;
  /** Rows the query's range and tenant select (both tables). */
  rowsScanned: number;
  buckets: number;
  medianMs: number;
  maxMs: number;
}

export interface UsageDatabaseResult {
  database: 'sqlite' | 'postgresql';
  rows: number;
  tallyRows: number;
  generateMs: number;
  queries: UsageQueryTiming[];
  /** Every query's sum of calls equalled the rows it selected. */
  sumsCorrect: boolean;
  /** The usage ledger's flush (UsageRepository.insert) of 150–250 calls, a new count each time as under load. */
  flush: { flushes: number; calls: string; medianMs: number; maxMs: number };
}

export interface UsageResult {
  rows: number;
  databases: UsageDatabaseResult[];
}

/** Tenant 0 ("big") makes half the calls; the rest share the other half. */
const tenantOf = (dialect: 'sqlite' | 'postgresql', n: string) =>
  dialect === 'sqlite'
    ? `CASE WHEN ${n} % 2 = 0 THEN 'tenant-0' ELSE 'tenant-' || (1 + (${n} / 2) % ${TENANTS - 1}) END`
    : `CASE WHEN ${n} % 2 = 0 THEN 'tenant-0' ELSE 'tenant-' || (1 + (${n} / 2) % ${TENANTS - 1})::text END`;

const pick = (values: readonly string[], n: string) => `(CASE ${values.map((v, i) => `WHEN ${n} % ${values.length} = ${i} THEN '${v}'`).join(' ')} END)`;

/** Calls spread evenly over the 30 days before `end`, in the format Prisma stores. */
async function generate(db: Db, dialect: 'sqlite' | 'postgresql', rows: number, end: Date): Promise<number> {
  const start = end.getTime() - 30 * DAY_MS + 60_000;
  const stepMs = (30 * DAY_MS - 120_000) / rows;
  const columns = `"id", "tenant", "apiKeyId", "model", "kind", "outcome", "promptTokens", "completionTokens", "totalTokens", "cachedTokens", "latencyMs", "createdAt"`;
  const values = (n: string, at: string) =>
    `'c' || ${n}, ${tenantOf(dialect, n)}, 'key-' || (${n} % ${KEYS_PER_TENANT}), ${pick(MODELS, `(${n} / 7)`)}, ${pick(KINDS, `(${n} / 3)`)}, 'ok', 700 + ${n} % 300, 30 + ${n} % 50, 730 + ${n} % 300 + ${n} % 50, ${n} % 5, 800, ${at}`;
  if (dialect === 'sqlite') {
    const at = `strftime('%Y-%m-%dT%H:%M:%f', (${start} + n * ${stepMs.toFixed(6)}) / 1000.0, 'unixepoch') || '+00:00'`;
    await db.$executeRawUnsafe(`WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${rows - 1}) INSERT INTO "ModelCall" (${columns}) SELECT ${values('n', at)} FROM seq`);
  } else {
    const at = `to_timestamp((${start} + n * ${stepMs.toFixed(6)}) / 1000.0) AT TIME ZONE 'UTC'`;
    await db.$executeRawUnsafe(`INSERT INTO "ModelCall" (${columns}) SELECT ${values('n', at)} FROM generate_series(0, ${rows - 1}) AS n`);
  }
  // Result tallies: one row per tenant, key, model, kind and hour with results (what a ledger writing every few seconds would roll up to, roughly).
  const hours = 30 * 24;
  const tallies = TENANTS * KEYS_PER_TENANT * 2 * 2 * hours;
  const tallyColumns = `"id", "tenant", "apiKeyId", "model", "kind", "results", "cacheHits", "tokensSaved", "createdAt"`;
  const tallyValues = (n: string, at: string) =>
    `'t' || ${n}, 'tenant-' || (${n} % ${TENANTS}), 'key-' || (${n} % ${KEYS_PER_TENANT}), ${pick(MODELS.slice(0, 2), `(${n} / 60)`)}, ${pick(['CAPTION', 'QUESTION'], `(${n} / 120)`)}, 20, 12, 12 * 700, ${at}`;
  const hourOf = `(n / ${TENANTS * KEYS_PER_TENANT * 4})`;
  if (dialect === 'sqlite') {
    const at = `strftime('%Y-%m-%dT%H:%M:%f', (${start} + ${hourOf} * 3600000.0) / 1000.0, 'unixepoch') || '+00:00'`;
    await db.$executeRawUnsafe(`WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${tallies - 1}) INSERT INTO "ResultTally" (${tallyColumns}) SELECT ${tallyValues('n', at)} FROM seq`);
    await db.$executeRawUnsafe('ANALYZE');
  } else {
    const at = `to_timestamp((${start} + ${hourOf} * 3600000.0) / 1000.0) AT TIME ZONE 'UTC'`;
    await db.$executeRawUnsafe(`INSERT INTO "ResultTally" (${tallyColumns}) SELECT ${tallyValues('n', at)} FROM generate_series(0, ${tallies - 1}) AS n`);
    // As autovacuum would soon after: statistics, and the visibility map index-only scans need.
    await db.$executeRawUnsafe('VACUUM ANALYZE "ModelCall"');
    await db.$executeRawUnsafe('VACUUM ANALYZE "ResultTally"');
  }
  return tallies;
}

async function countRows(db: Db, query: UsageQuery): Promise<number> {
  const tenant = query.tenant === null ? Prisma.empty : Prisma.sql` AND "tenant" = ${query.tenant}`;
  const [calls] = await db.$queryRaw<Array<{ n: unknown }>>`SELECT COUNT(*) AS n FROM "ModelCall" WHERE "createdAt" >= ${query.from} AND "createdAt" < ${query.to}${tenant}`;
  const [tallies] = await db.$queryRaw<Array<{ n: unknown }>>`SELECT COUNT(*) AS n FROM "ResultTally" WHERE "createdAt" >= ${query.from} AND "createdAt" < ${query.to}${tenant}`;
  return Number(calls!.n) + Number(tallies!.n);
}

async function measure(db: Db, dialect: 'sqlite' | 'postgresql', rows: number, log: (line: string) => void): Promise<UsageDatabaseResult> {
  const end = new Date();
  const t = now();
  const tallyRows = await generate(db, dialect, rows, end);
  const generateMs = Math.round(now() - t);
  log(`  ${dialect}: ${rows.toLocaleString('en')} calls and ${tallyRows.toLocaleString('en')} tallies generated in ${(generateMs / 1000).toFixed(1)} s`);
  const repository = new UsageRepository(db, { dialect, queryTimeoutMs: 60_000 });
  const from = new Date(end.getTime() - 30 * DAY_MS);
  const shapes: Array<{ name: string; query: UsageQuery }> = [
    { name: 'big tenant (half the rows), by DAY', query: { from, to: end, groupBy: ['DAY'], tenant: 'tenant-0' } },
    { name: 'big tenant, by DAY, MODEL, KIND', query: { from, to: end, groupBy: ['DAY', 'MODEL', 'KIND'], tenant: 'tenant-0' } },
    { name: 'big tenant, by HOUR', query: { from, to: end, groupBy: ['HOUR'], tenant: 'tenant-0' } },
    { name: 'small tenant, by DAY, API_KEY', query: { from, to: end, groupBy: ['DAY', 'API_KEY'], tenant: 'tenant-7' } },
    { name: 'big tenant, last 7 days, by DAY', query: { from: new Date(end.getTime() - 7 * DAY_MS), to: end, groupBy: ['DAY'], tenant: 'tenant-0' } },
    { name: 'admin: every tenant (all rows), by DAY', query: { from, to: end, groupBy: ['DAY'], tenant: null } },
    { name: 'admin: every tenant, by TENANT, MODEL', query: { from, to: end, groupBy: ['TENANT', 'MODEL'], tenant: null } },
  ];
  const queries: UsageQueryTiming[] = [];
  let sumsCorrect = true;
  for (const { name, query } of shapes) {
    const samples: number[] = [];
    let buckets = 0;
    let calls = 0;
    for (let run = 0; run <= RUNS; run++) {
      const started = now();
      const result = await repository.sum(query);
      const elapsed = now() - started;
      if (run === 0) continue; // warm-up
      samples.push(elapsed);
      buckets = result.length;
      calls = result.reduce((sum, bucket) => sum + bucket.calls, 0);
    }
    const rowsScanned = await countRows(db, query);
    const [callRows] = await db.$queryRaw<Array<{ n: unknown }>>`SELECT COUNT(*) AS n FROM "ModelCall" WHERE "createdAt" >= ${query.from} AND "createdAt" < ${query.to}${query.tenant === null ? Prisma.empty : Prisma.sql` AND "tenant" = ${query.tenant}`}`;
    if (calls !== Number(callRows!.n)) sumsCorrect = false;
    samples.sort((a, b) => a - b);
    const timing = { name, rowsScanned, buckets, medianMs: round(samples[Math.floor(samples.length / 2)]!), maxMs: round(samples.at(-1)!) };
    queries.push(timing);
    log(`    ${name}: ${timing.medianMs} ms median, ${timing.maxMs} ms max (${rowsScanned.toLocaleString('en')} rows, ${buckets} buckets)`);
  }
  const flush = await timeFlushes(repository);
  log(`    ledger flush of ${flush.calls} calls: ${flush.medianMs} ms median, ${flush.maxMs} ms max (${flush.flushes} flushes)`);
  return { database: dialect, rows, tallyRows, generateMs, queries, sumsCorrect, flush };
}

/**
 * What one flush of the usage ledger holds the event loop for under fresh-question load (a few
 * hundred calls every USAGE_FLUSH_MS): each flush a different number of calls, after one warm-up.
 * Their dates are in 1999, out of every query's range above.
 */
async function timeFlushes(repository: UsageRepository): Promise<UsageDatabaseResult['flush']> {
  const call = { tenant: 'flush', apiKeyId: null, model: MODELS[0]!, kind: 'QUESTION', outcome: 'ok', promptTokens: 700, completionTokens: 30, totalTokens: 730, cachedTokens: 0, latencyMs: 800, estimated: false, createdAt: new Date('1999-01-01T00:00:00Z') };
  const counts = Array.from({ length: 11 }, (_, i) => 150 + i * 10);
  const samples: number[] = [];
  for (const [i, count] of counts.entries()) {
    const started = now();
    await repository.insert(Array.from({ length: count }, () => call), []);
    if (i > 0) samples.push(now() - started);
  }
  samples.sort((a, b) => a - b);
  return { flushes: samples.length, calls: `${counts[1]}–${counts.at(-1)}`, medianMs: round(samples[Math.floor(samples.length / 2)]!), maxMs: round(samples.at(-1)!) };
}

/** SQLite in a temporary folder; PostgreSQL in a scratch schema of `postgresUrl` (unless it is 'off'). */
export async function runUsage(rows: number, postgresUrl: string, log: (line: string) => void): Promise<UsageResult> {
  const databases: UsageDatabaseResult[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-usage-'));
  const targets = [`file:${path.join(dir, 'usage.db')}`];
  if (postgresUrl !== 'off') targets.push(`${postgresUrl}${postgresUrl.includes('?') ? '&' : '?'}schema=bench_usage_${randomBytes(4).toString('hex')}`);
  try {
    for (const url of targets) {
      const target = parseDatabaseUrl(url);
      await migrateDatabase(url);
      const db = await openDatabase(url);
      try {
        databases.push(await measure(db, target.kind, rows, log));
      } finally {
        await db.$disconnect();
        if (target.kind === 'postgresql') await dropSchema(target);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { rows, databases };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const result = await runUsage(rows, process.env.TEST_POSTGRES_URL ?? 'postgres://127.0.0.1:5432/test', (line) => process.stderr.write(`${line}\n`));
  const pg = result.databases.find((d) => d.database === 'postgresql');
  const worst = pg ? Math.max(...pg.queries.map((q) => q.medianMs)) : NaN;
  console.log(JSON.stringify(result, null, 2));
  console.log(pg ? `PostgreSQL, slowest query shape: ${worst} ms median (target < ${USAGE_TARGET_MS} ms): ${worst < USAGE_TARGET_MS ? 'MET' : 'NOT MET'}` : 'PostgreSQL left out');
}
