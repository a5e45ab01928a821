import { Prisma } from '../../generated/prisma/client.js';
import type { Db } from './database.js';
import { databaseErrorCode } from './prisma-errors.js';

/**
 * The little SQL that SQLite and PostgreSQL spell differently, for the reads
 * Prisma's query builder cannot express: a literal substring test (Prisma's
 * `contains` is LIKE, where % and _ stay wildcards and SQLite ignores ASCII
 * case) and a time limit on one statement.
 */
export type SqlDialect = 'sqlite' | 'postgresql';

/**
 * `column` contains `text` literally: no wildcards, case-sensitive, compared
 * character by character, the same rule on both databases. SQLite's instr()
 * knows no wildcards. On PostgreSQL it is a LIKE with %, _ and the escape
 * character escaped, which a pg_trgm index serves (strpos() would read every
 * row).
 */
export function containsText(dialect: SqlDialect, column: Prisma.Sql, text: string): Prisma.Sql {
  if (dialect === 'sqlite') return Prisma.sql`instr(${column}, ${text}) > 0`;
  return Prisma.sql`${column} LIKE ${`%${escapeLike(text)}%`} ESCAPE '\\'`;
}

/** `text` as a LIKE pattern matching only itself, backslash being the escape character. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** PostgreSQL's "canceling statement due to statement timeout". */
const QUERY_CANCELED = '57014';

export class StatementTimeout extends Error {}

/**
 * Runs one read under a time limit. On PostgreSQL the limit is
 * statement_timeout, set for this statement alone (set_config local to its
 * transaction), and StatementTimeout is thrown when it fires. SQLite runs
 * in-process through a synchronous driver that cannot be interrupted: there
 * the read runs as is, and only the query's shape bounds it.
 */
export async function queryWithTimeout<T>(db: Db, dialect: SqlDialect, timeoutMs: number, query: Prisma.Sql): Promise<T[]> {
  if (dialect === 'sqlite') return db.$queryRaw<T[]>(query);
  try {
    const [, rows] = await db.$transaction([db.$queryRaw`SELECT set_config('statement_timeout', ${String(timeoutMs)}, true)`, db.$queryRaw<T[]>(query)]);
    return rows;
  } catch (error) {
    if (isQueryCanceled(error)) throw new StatementTimeout(`the statement ran longer than ${timeoutMs} ms`, { cause: error });
    throw error;
  }
}

/** Prisma reports a driver error in a raw query as P2010, the database's own code in `meta.driverAdapterError`. */
function isQueryCanceled(error: unknown): boolean {
  return databaseErrorCode(error) === QUERY_CANCELED;
}
