import { randomUUID } from 'node:crypto';
import { Prisma, type ModelCall, type ResultTally } from '../../generated/prisma/client.js';
import { chunk } from '../../platform/collections.js';
import type { Db } from '../../platform/database/database.js';
import { rawTable } from '../../platform/database/raw-insert.js';
import { queryWithTimeout, type SqlDialect } from '../../platform/database/sql-dialect.js';
import type { CacheMatchKind } from '../answers/cache-match.type.js';

/**
 * The usage ledger's two tables: every upstream call (ModelCall) and the
 * results served, as counters (ResultTally). `sum` adds them up in the
 * database, grouped as asked, one statement whatever the range.
 */

export type NewModelCall = Omit<ModelCall, 'id'>;
/** Counted in numbers (exact to 2^53); the columns are 64-bit, so a long-kept tally fits. */
type SavedColumn = 'tokensSaved' | 'savedPromptTokens' | 'savedCompletionTokens' | 'savedCachedTokens';
export type NewResultTally = Omit<ResultTally, 'id' | SavedColumn> & Record<SavedColumn, number>;

/** What buckets may be grouped by. DAY and HOUR are UTC. */
export const UsageDimension = { DAY: 'DAY', HOUR: 'HOUR', MODEL: 'MODEL', KIND: 'KIND', API_KEY: 'API_KEY', TENANT: 'TENANT', MATCH: 'MATCH' } as const;
export type UsageDimension = keyof typeof UsageDimension;

export interface UsageQuery {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  groupBy: readonly UsageDimension[];
  /** null: every tenant (admin keys). */
  tenant: string | null;
  model?: string | null;
  kind?: string | null;
  apiKeyId?: string | null;
}

export interface UsageSums {
  calls: number;
  results: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  cacheHits: number;
  tokensSaved: number;
  /** tokensSaved as the answers served from the cache were billed (0 in tallies written before the split was kept). */
  savedPromptTokens: number;
  savedCompletionTokens: number;
  savedCachedTokens: number;
  /** Of totalTokens, those of calls cut short, estimated by the gateway (the endpoint reported none). */
  estimatedTokens: number;
}

/** One group's sums and the values it is grouped by (null for a dimension not grouped by). */
export interface UsageRow extends UsageSums {
  day: Date | null;
  hour: Date | null;
  model: string | null;
  kind: string | null;
  apiKeyId: string | null;
  tenant: string | null;
  /** How the group's cache hits matched; null: model work, or not grouped by MATCH. */
  match: CacheMatchKind | null;
}

/** The summed columns of a usage row (bucket-cost.ts adds them up again per asked group). */
export const SUMS = ['calls', 'results', 'promptTokens', 'completionTokens', 'totalTokens', 'cachedTokens', 'cacheHits', 'tokensSaved', 'savedPromptTokens', 'savedCompletionTokens', 'savedCachedTokens', 'estimatedTokens'] as const;

/** Both tables as one row shape: a call is one call with its tokens; a tally row its results and hits. */
const CALL_COLUMNS = Prisma.raw(
  `1 AS "calls", 0 AS "results", "promptTokens", "completionTokens", "totalTokens", "cachedTokens", 0 AS "cacheHits", 0 AS "tokensSaved", ` +
    `0 AS "savedPromptTokens", 0 AS "savedCompletionTokens", 0 AS "savedCachedTokens", ` +
    `CASE WHEN "estimated" THEN "totalTokens" ELSE 0 END AS "estimatedTokens"`,
);
const TALLY_COLUMNS = Prisma.raw(
  `0 AS "calls", "results", 0 AS "promptTokens", 0 AS "completionTokens", 0 AS "totalTokens", 0 AS "cachedTokens", "cacheHits", "tokensSaved", ` +
    `"savedPromptTokens", "savedCompletionTokens", "savedCachedTokens", 0 AS "estimatedTokens"`,
);

/**
 * A dimension's group key. Days and hours are read as text of one format on
 * both databases (SQLite keeps DateTime as UTC ISO text, so a prefix of it is
 * the day or the hour; PostgreSQL's timestamp(3) is UTC by Prisma's rule).
 */
function dimension(dialect: SqlDialect, name: UsageDimension): Prisma.Sql {
  switch (name) {
    case 'DAY':
      return dialect === 'sqlite' ? Prisma.raw(`substr("createdAt", 1, 10)`) : Prisma.raw(`to_char("createdAt", 'YYYY-MM-DD')`);
    case 'HOUR':
      return dialect === 'sqlite' ? Prisma.raw(`substr("createdAt", 1, 13)`) : Prisma.raw(`to_char("createdAt", 'YYYY-MM-DD"T"HH24')`);
    case 'MODEL':
      return Prisma.raw(`"model"`);
    case 'KIND':
      return Prisma.raw(`"kind"`);
    case 'API_KEY':
      return Prisma.raw(`"apiKeyId"`);
    case 'TENANT':
      return Prisma.raw(`"tenant"`);
    case 'MATCH':
      return Prisma.raw(`"match"`);
  }
}

/** ModelCall's columns, for the flush's multi-row INSERTs. */
const MODEL_CALLS = rawTable<ModelCall>('ModelCall', Object.values(Prisma.ModelCallScalarFieldEnum));
/** Rows per INSERT: at 13 parameters a row, far below SQLite's 32,766 and PostgreSQL's 65,535 per statement. */
const CALLS_PER_INSERT = 1_000;

/** The column each dimension comes back in. */
const COLUMN: Record<UsageDimension, string> = { DAY: 'd_day', HOUR: 'd_hour', MODEL: 'd_model', KIND: 'd_kind', API_KEY: 'd_api_key', TENANT: 'd_tenant', MATCH: 'd_match' };

/** "2026-11-29" or "2026-11-29T23" as the instant it starts (UTC). */
function startOf(text: unknown): Date | null {
  if (typeof text !== 'string') return null;
  return new Date(text.length === 10 ? `${text}T00:00:00Z` : `${text}:00:00Z`);
}

/** SQLite sums come back as number, PostgreSQL's as bigint (or a numeric string). */
const toNumber = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));

export class UsageRepository {
  constructor(
    private readonly db: Db,
    private readonly options: { dialect: SqlDialect; queryTimeoutMs: number },
  ) {}

  /**
   * One flush of the ledger, in one transaction. The calls go in as plain multi-row INSERTs rather
   * than createMany: Prisma compiles a createMany anew for each new row count, and a flush of
   * 160–250 calls took 50 ms (SQLite) and 71 ms (PostgreSQL) at the median, up to 127 ms, most of
   * it holding the event loop; as INSERTs, 11–18 ms (bench: the usage scenario). Their values
   * pass through the same driver adapter as Prisma's own writes, so they are stored alike. The
   * tallies are a handful of rows a flush: createMany.
   */
  async insert(calls: readonly NewModelCall[], tallies: readonly NewResultTally[]): Promise<void> {
    const withIds = <T>(rows: readonly T[]) => rows.map((row) => ({ id: randomUUID(), ...row }));
    await this.db.$transaction([
      ...chunk(withIds(calls), CALLS_PER_INSERT).map((rows) => this.db.$executeRaw`${MODEL_CALLS.insertInto} VALUES ${Prisma.join(rows.map(MODEL_CALLS.values))}`),
      this.db.resultTally.createMany({ data: withIds(tallies) }),
    ]);
  }

  /** The sums per group, ordered by the groups; one row of zeros when nothing is grouped and nothing matches. */
  async sum(query: UsageQuery): Promise<UsageRow[]> {
    const { dialect, queryTimeoutMs } = this.options;
    const conditions = [
      Prisma.sql`"createdAt" >= ${query.from}`,
      Prisma.sql`"createdAt" < ${query.to}`,
      ...(query.tenant !== null ? [Prisma.sql`"tenant" = ${query.tenant}`] : []),
      ...(query.model ? [Prisma.sql`"model" = ${query.model}`] : []),
      ...(query.kind ? [Prisma.sql`"kind" = ${query.kind}`] : []),
      ...(query.apiKeyId ? [Prisma.sql`"apiKeyId" = ${query.apiKeyId}`] : []),
    ];
    const where = Prisma.join(conditions, ' AND ');
    const dims = [...new Set(query.groupBy)];
    const keys = dims.map((d) => Prisma.sql`${dimension(dialect, d)} AS ${Prisma.raw(COLUMN[d])}`);
    const sums = SUMS.map((column) => Prisma.raw(`COALESCE(SUM("${column}"), 0) AS "${column}"`));
    const positions = dims.map((_, i) => Prisma.raw(String(i + 1)));
    const grouped = dims.length > 0 ? Prisma.sql` GROUP BY ${Prisma.join(positions, ', ')} ORDER BY ${Prisma.join(positions, ', ')}` : Prisma.empty;
    const sql = Prisma.sql`SELECT ${Prisma.join([...keys, ...sums], ', ')} FROM (
      SELECT "tenant", "apiKeyId", "model", "kind", NULL AS "match", "createdAt", ${CALL_COLUMNS} FROM "ModelCall" WHERE ${where}
      UNION ALL
      SELECT "tenant", "apiKeyId", "model", "kind", "match", "createdAt", ${TALLY_COLUMNS} FROM "ResultTally" WHERE ${where}
    ) AS "usage"${grouped}`;
    const rows = await queryWithTimeout<Record<string, unknown>>(this.db, dialect, queryTimeoutMs, sql);
    return rows.map((row) => ({
      day: startOf(row[COLUMN.DAY]) ?? dayOf(startOf(row[COLUMN.HOUR])),
      hour: startOf(row[COLUMN.HOUR]),
      model: (row[COLUMN.MODEL] as string | undefined) ?? null,
      kind: (row[COLUMN.KIND] as string | undefined) ?? null,
      apiKeyId: (row[COLUMN.API_KEY] as string | undefined) ?? null,
      tenant: (row[COLUMN.TENANT] as string | undefined) ?? null,
      match: (row[COLUMN.MATCH] as CacheMatchKind | undefined) ?? null,
      ...(Object.fromEntries(SUMS.map((column) => [column, toNumber(row[column])])) as unknown as UsageSums),
    }));
  }
}

/** The day an hour bucket falls in. */
function dayOf(hour: Date | null): Date | null {
  return hour && new Date(Date.UTC(hour.getUTCFullYear(), hour.getUTCMonth(), hour.getUTCDate()));
}
