import { openDatabase, type Db } from './database.js';
import { parseDatabaseUrl } from './database-url.js';
import { paths, readMigrationsList } from './migration-files.js';
import { NO_FILTERS, withSchemaEngine } from './schema-engine.js';

/**
 * Applies the committed migrations for the URL's flavour (prisma/migrations
 * for SQLite, prisma/postgres/migrations for PostgreSQL) that the database
 * has not seen yet. Bookkeeping is Prisma's own `_prisma_migrations` table,
 * exactly as `prisma migrate deploy` keeps it, so either tool can take over.
 * Idempotent and cheap when up to date: call it at every start.
 */
export async function migrateDatabase(databaseUrl: string): Promise<{ applied: string[] }> {
  // The engine takes a write lock: skip it when nothing is pending, so a CLI can
  // run beside a live gateway on the same SQLite file.
  if (await upToDate(databaseUrl)) return { applied: [] };
  const target = parseDatabaseUrl(databaseUrl);
  const migrationsList = await readMigrationsList(paths[target.kind].migrations);
  if (migrationsList.migrationDirectories.length === 0) {
    // An empty list would "succeed" and leave an empty database behind.
    throw new Error(`no migrations found in ${migrationsList.baseDir}`);
  }
  const { appliedMigrationNames } = await withSchemaEngine(target, undefined, (engine) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
  );
  return { applied: appliedMigrationNames };
}

/**
 * Committed migrations the database has not finished applying (for /readyz).
 * Reads Prisma's own bookkeeping through the app's client; throws when the
 * database is unreachable.
 */
export async function pendingMigrations(databaseUrl: string, db: Db): Promise<{ pending: string[] }> {
  const target = parseDatabaseUrl(databaseUrl);
  const committed = (await readMigrationsList(paths[target.kind].migrations)).migrationDirectories.map((dir) => dir.path);
  const rows = await db.$queryRawUnsafe<Array<{ migration_name: string }>>(
    'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const applied = new Set(rows.map((row) => row.migration_name));
  return { pending: committed.filter((name) => !applied.has(name)) };
}

async function upToDate(databaseUrl: string): Promise<boolean> {
  let db: Db | undefined;
  try {
    db = await openDatabase(databaseUrl);
    return (await pendingMigrations(databaseUrl, db)).pending.length === 0;
  } catch {
    return false; // a fresh database has no _prisma_migrations table yet
  } finally {
    await db?.$disconnect();
  }
}
