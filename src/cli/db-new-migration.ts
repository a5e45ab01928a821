import { mkdir, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { pendingMigrationSql } from '../platform/database/migration-diff.js';
import {
  LOCKFILE,
  MIGRATION_FILE,
  lockfileContent,
  migrationSlug,
  migrationTimestamp,
  paths,
  type Flavor,
} from '../platform/database/migration-files.js';
import { syncPostgresSchema } from '../platform/database/postgres-schema.js';

// `npm run db:migration -- <name>`: writes the SQL that takes the committed
// migrations to the current prisma/schema.prisma, for SQLite and PostgreSQL
// under the same folder name. The PostgreSQL diff uses a scratch schema on
// SHADOW_DATABASE_URL (default postgres://127.0.0.1:5432/test).

async function main(): Promise<void> {
  const rawName = process.argv[2];
  if (!rawName) {
    console.error('usage: npm run db:migration -- <name>');
    process.exit(2);
  }
  const folder = `${migrationTimestamp()}_${migrationSlug(rawName)}`;

  if (await syncPostgresSchema()) console.log(`updated ${path.relative(process.cwd(), paths.postgresql.schema)}`);

  const flavors: Flavor[] = ['sqlite', 'postgresql'];
  const scripts = await Promise.all(flavors.map((f) => pendingMigrationSql(f)));
  if (scripts.every((s) => s === null)) {
    console.log('no changes');
    return;
  }
  for (const [i, flavor] of flavors.entries()) {
    const sql = scripts[i];
    if (sql == null) continue; // only happens if one folder was already ahead
    const dir = paths[flavor].migrations;
    await mkdir(path.join(dir, folder), { recursive: true });
    await writeFile(path.join(dir, folder, MIGRATION_FILE), sql);
    const lock = path.join(dir, LOCKFILE);
    if (!(await access(lock).then(() => true, () => false))) await writeFile(lock, lockfileContent(flavor));
    console.log(`created ${path.relative(process.cwd(), path.join(dir, folder, MIGRATION_FILE))}`);
  }
  console.log('now run `npm run db:generate` to refresh the Prisma clients');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
