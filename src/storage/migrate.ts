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
