import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiKeyRepository } from '../../src/modules/access/api-key.repository.js';
import { openDatabase } from '../../src/platform/database/database.js';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { migrateDatabase } from '../../src/platform/database/migrate.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { paths, readMigrationsList } from '../../src/platform/database/migration-files.js';
import { NO_FILTERS, withSchemaEngine } from '../../src/platform/database/schema-engine.js';
import { postgresMissing, postgresSchemaUrl } from '../support/services.js';

// The access mode is stored since this migration (issue 21, point 5). A database
// that had keys before it was closed by them, and must stay closed once they are
// all deleted; one that never had a key stays open.

const TIMEOUT = 60_000;
const STORED_MODE = '20261205091607_access_mode_and_tenant_erasures';

/** The database as a gateway released before the stored access mode left it. */
async function migrateToBefore(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  const list = await readMigrationsList(paths[target.kind].migrations);
  list.migrationDirectories = list.migrationDirectories.filter((dir) => dir.path < STORED_MODE);
  await withSchemaEngine(target, undefined, (engine) => engine.applyMigrations({ migrationsList: list, filters: NO_FILTERS }));
}

async function modeAfterUpgrade(url: string, withKey: boolean): Promise<{ upgraded: string; keysDeleted: string }> {
  await migrateToBefore(url);
  if (withKey) {
    const old = await openDatabase(url);
    await old.apiKey.create({ data: { id: randomUUID(), tenant: 'acme', hash: randomBytes(32).toString('hex'), prefix: 'qvg_abcdef' } }).finally(() => old.$disconnect());
  }
  // The engine locks the SQLite file: no other connection is open while it migrates.
  expect((await migrateDatabase(url)).applied).toContain(STORED_MODE);
  const db = await openDatabase(url);
  try {
    const keys = new ApiKeyRepository(db);
    const upgraded = await keys.accessMode();
    await db.apiKey.deleteMany({});
    return { upgraded, keysDeleted: await keys.accessMode() };
  } finally {
    await db.$disconnect();
  }
}

async function expectUpgradeKeepsMode(url: () => string): Promise<void> {
  expect(await modeAfterUpgrade(url(), true)).toEqual({ upgraded: 'closed', keysDeleted: 'closed' });
}

describe('upgrading to the stored access mode', () => {
  it('SQLite: a database that had keys stays closed once they are deleted; one without stays open', { timeout: TIMEOUT }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'access-mode-'));
    try {
      await expectUpgradeKeepsMode(() => `file:${path.join(dir, 'with-keys.db')}`);
      expect(await modeAfterUpgrade(`file:${path.join(dir, 'without.db')}`, false)).toEqual({ upgraded: 'open', keysDeleted: 'open' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(postgresMissing)('PostgreSQL: a database that had keys stays closed once they are deleted', { timeout: TIMEOUT }, async () => {
    const url = postgresSchemaUrl('access_mode');
    try {
      await expectUpgradeKeepsMode(() => url);
    } finally {
      const target = parseDatabaseUrl(url);
      if (target.kind === 'postgresql') await dropSchema(target);
    }
  });
});
