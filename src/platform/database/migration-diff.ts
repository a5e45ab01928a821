import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { shadowDatabaseUrl } from '../config.js';
import { parseDatabaseUrl, pgPoolConfig, quoteIdent, type DatabaseTarget } from './database-url.js';
import { PRISMA_DIR, paths, readMigrationsList, type Flavor } from './migration-files.js';
import { toPostgresSchema } from './postgres-schema.js';
import { NO_FILTERS, withSchemaEngine } from './schema-engine.js';

// "What SQL would bring the committed migrations up to schema.prisma?"
// Rather than a shadow database (adapter-pg's shadow support leaks databases
// and needs CREATEDB), the committed migrations are applied to a throw-away
// scratch database — a temp SQLite file, or a fresh schema on a PostgreSQL
// server — which is then diffed against the schema file and removed.

/** Server used for PostgreSQL scratch schemas unless a URL is passed. */
export const DEFAULT_PG_SCRATCH_URL = 'postgres://127.0.0.1:5432/test';

/**
 * Returns the migration SQL still missing from the committed migrations of
 * `flavor`, or null when they already match the schema file.
 */
export async function pendingMigrationSql(
  flavor: Flavor,
  options: { pgScratchUrl?: string } = {},
): Promise<string | null> {
  // PostgreSQL: derive from schema.prisma rather than trust the derived file.
  const sqliteSchema = await readFile(paths.sqlite.schema, 'utf8');
  const schemaText = flavor === 'sqlite' ? sqliteSchema : toPostgresSchema(sqliteSchema);
  const migrationsList = await readMigrationsList(paths[flavor].migrations);
  const files = [{ path: paths[flavor].schema, content: schemaText }];

  return withScratchDatabase(flavor, options.pgScratchUrl, (target) =>
    withSchemaEngine(target, schemaText, async (engine) => {
      await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
      const result = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: PRISMA_DIR },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true, // 2 = non-empty diff
        filters: NO_FILTERS,
      });
      return result.exitCode === 2 ? (result.stdout ?? '') : null;
    }),
  );
}

async function withScratchDatabase<T>(
  flavor: Flavor,
  pgScratchUrl: string | undefined,
  fn: (target: DatabaseTarget) => Promise<T>,
): Promise<T> {
  if (flavor === 'sqlite') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prisma-scratch-'));
    try {
      return await fn(parseDatabaseUrl(`file:${path.join(dir, 'scratch.db')}`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const base = parseDatabaseUrl(pgScratchUrl ?? shadowDatabaseUrl() ?? DEFAULT_PG_SCRATCH_URL);
  if (base.kind !== 'postgresql') throw new Error('the scratch database for PostgreSQL diffs must be postgres://');
  const target = { ...base, schema: `prisma_scratch_${randomBytes(6).toString('hex')}` };
  try {
    return await fn(target); // the engine creates the schema itself
  } finally {
    await dropSchema(target);
  }
}

export async function dropSchema(target: Extract<DatabaseTarget, { kind: 'postgresql' }>): Promise<void> {
  const client = new pg.Client(pgPoolConfig(target));
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(target.schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
