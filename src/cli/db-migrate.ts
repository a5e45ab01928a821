import path from 'node:path';
import { migrateDatabase } from '../platform/database/migrate.js';

// `npm run db:migrate`: applies pending migrations to DATABASE_URL, with the
// same default as the server (file:<DATA_DIR>/gateway.db, DATA_DIR=./data).
// The server also migrates at start; this is for deploy scripts and humans.

const databaseUrl =
  process.env.DATABASE_URL || `file:${path.join(process.env.DATA_DIR || './data', 'gateway.db')}`;

try {
  const { applied } = await migrateDatabase(databaseUrl);
  if (applied.length === 0) console.log('database is up to date, no migrations applied');
  else for (const name of applied) console.log(`applied ${name}`);
} catch (e) {
  console.error(`migration failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
