import { loadConfig } from '../platform/config.js';
import { migrateDatabase } from '../platform/database/migrate.js';

// `npm run db:migrate`: applies pending migrations to the server's database
// (config's DATABASE_URL and its default under DATA_DIR).
// The server also migrates at start; this is for deploy scripts and humans.

try {
  const { applied } = await migrateDatabase(loadConfig().databaseUrl);
  if (applied.length === 0) console.log('database is up to date, no migrations applied');
  else for (const name of applied) console.log(`applied ${name}`);
} catch (e) {
  console.error(`migration failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
