import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/database/database.js';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { migrateDatabase } from '../../src/platform/database/migrate.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { SettingRepository } from '../../src/platform/database/setting.repository.js';
import { postgresMissing, postgresSchemaUrl } from '../support/services.js';

// Replicas starting at once on one database must end up with one value (the
// generated URL signing secret): each races to insert, all read back the winner.

const TIMEOUT = 60_000;

async function racingProcessesAgree(url: string): Promise<void> {
  await migrateDatabase(url);
  const handles = await Promise.all([openDatabase(url), openDatabase(url), openDatabase(url)]);
  try {
    const values = await Promise.all(handles.map((db, i) => new SettingRepository(db).getOrInsert('url_signing_secret', `candidate-${i}`)));
    expect(new Set(values).size).toBe(1);
    expect(values[0]).toMatch(/^candidate-[012]$/);
    expect(await new SettingRepository(handles[0]!).getOrInsert('url_signing_secret', 'late')).toBe(values[0]);
  } finally {
    await Promise.all(handles.map((db) => db.$disconnect()));
  }
}

describe('gateway settings written once', () => {
  it('SQLite: concurrent first writers all read back one value', { timeout: TIMEOUT }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'settings-test-'));
    try {
      await racingProcessesAgree(`file:${path.join(dir, 'gateway.db')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(postgresMissing)('PostgreSQL: concurrent first writers all read back one value', { timeout: TIMEOUT }, async () => {
    const url = postgresSchemaUrl('settings');
    try {
      await racingProcessesAgree(url);
    } finally {
      const target = parseDatabaseUrl(url);
      if (target.kind === 'postgresql') await dropSchema(target);
    }
  });
});
