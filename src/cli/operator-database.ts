import { loadConfig, type Config } from '../platform/config.js';
import { openDatabase, type Db } from '../platform/database/database.js';
import { migrateDatabase } from '../platform/database/migrate.js';

/**
 * The database an operator CLI (keys, tenants) works on: configured as the
 * gateway's, migrated, open for one action, then closed. `announce` names it
 * on stderr first, every time: a change made in another database than the
 * gateway's would silently do nothing.
 */
export async function withOperatorDatabase<T>(announce: (config: Config) => string, action: (db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  console.error(announce(config));
  await migrateDatabase(config.databaseUrl);
  const db = await openDatabase(config.databaseUrl);
  try {
    return await action(db, config);
  } finally {
    await db.$disconnect();
  }
}
