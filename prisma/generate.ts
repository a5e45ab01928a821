// `npm run db:generate` (also run by postinstall): refreshes the derived
// prisma/postgres/schema.prisma, then generates both Prisma clients
// (src/generated/prisma for SQLite, src/generated/prisma-pg for PostgreSQL).
// `--check` only verifies the derived schema is current (for CI).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { paths } from '../src/platform/database/migration-files.js';
import { syncPostgresSchema, postgresSchemaIsCurrent } from '../src/platform/database/postgres-schema.js';

const rel = (p: string) => path.relative(process.cwd(), p);

if (process.argv.includes('--check')) {
  if (!(await postgresSchemaIsCurrent())) {
    console.error(`${rel(paths.postgresql.schema)} is stale: run \`npm run db:generate\` and commit it`);
    process.exit(1);
  }
  process.exit(0);
}

if (await syncPostgresSchema()) console.log(`updated ${rel(paths.postgresql.schema)} (commit it)`);

const prismaCli = path.join(path.dirname(createRequire(import.meta.url).resolve('prisma/package.json')), 'build/index.js');

for (const schema of [paths.sqlite.schema, paths.postgresql.schema]) {
  const result = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schema], {
    stdio: 'inherit',
    env: {
      ...process.env,
      // `generate` never runs the schema engine but insists it exists and
      // would otherwise download it (we are offline); any executable will do.
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
      CHECKPOINT_DISABLE: '1', // no update-check request
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
