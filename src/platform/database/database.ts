import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client.js';
import { PrismaClient as PgPrismaClient } from '../../generated/prisma-pg/client.js';
import { parseDatabaseUrl, pgPoolConfig, prepareSqliteFile, SQLITE_BUSY_TIMEOUT_MS } from './database-url.js';

// The app's database handle. Both generated clients come from the same
// models (prisma/postgres/schema.prisma is derived from prisma/schema.prisma),
// so they expose the same API and the SQLite client's type stands for both.
export type Db = PrismaClient;

export interface DatabaseOptions {
  /** Called with each SQL statement sent (Prisma's query events), e.g. SqlStatements.record. */
  onStatement?: (sql: string) => void;
}

/** Query events only when someone listens: Prisma builds each event (SQL text, parameters, timing) for nothing otherwise. */
function observe(db: { $on(event: 'query', callback: (event: { query: string }) => void): unknown }, onStatement: DatabaseOptions['onStatement']): void {
  if (onStatement) db.$on('query', (event) => onStatement(event.query));
}

const logFor = (options: DatabaseOptions) => (options.onStatement ? [{ emit: 'event' as const, level: 'query' as const }] : []);

/**
 * Opens DATABASE_URL: `file:` → SQLite via better-sqlite3 (WAL with
 * synchronous=NORMAL, busy timeout), `postgres://` / `postgresql://` → PostgreSQL via pg (honouring
 * Prisma's `?schema=`). Does not migrate: call migrateDatabase first.
 */
export async function openDatabase(databaseUrl: string, options: DatabaseOptions = {}): Promise<Db> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind === 'sqlite') {
    prepareSqliteFile(target.path);
    const adapter = new PrismaBetterSqlite3({ url: `file:${target.path}`, timeout: SQLITE_BUSY_TIMEOUT_MS });
    const db = new PrismaClient({ adapter, log: logFor(options) });
    await db.$connect();
    // Per connection, and the adapter keeps one. In WAL mode NORMAL syncs at checkpoints, not at
    // every commit: a committed row survives a process crash, while a power cut may lose the last
    // commits (an answer then costs a repeat call; an upload must be sent again). docs/performance.md.
    await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
    observe(db, options.onStatement);
    return db as unknown as Db;
  }
  // The adapter's `schema` makes queries schema-qualified; search_path covers
  // raw SQL. Given a config, the adapter owns its pool and $disconnect() ends it.
  const adapter = new PrismaPg(pgPoolConfig(target), { schema: target.schema });
  const db = new PgPrismaClient({ adapter, log: logFor(options) });
  observe(db, options.onStatement);
  await db.$connect(); // fail fast on a bad host or credentials
  return db as unknown as Db;
}
