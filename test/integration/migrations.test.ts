import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/platform/database/database.js';
import { parseDatabaseUrl, pgPoolConfig } from '../../src/platform/database/database-url.js';
import { migrateDatabase } from '../../src/platform/database/migrate.js';
import { dropSchema, pendingMigrationSql } from '../../src/platform/database/migration-diff.js';
import { paths } from '../../src/platform/database/migration-files.js';
import { postgresSchemaIsCurrent } from '../../src/platform/database/postgres-schema.js';
import { PG_URL, postgresMissing, postgresSchemaUrl } from '../support/services.js';

// Migrations run through Prisma's WebAssembly schema engine; these tests pin
// down that it bootstraps both databases, is idempotent, and that the
// committed migrations still describe prisma/schema.prisma.

const TIMEOUT = 60_000;

async function committedMigrations(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

async function createAndReadImage(db: Db): Promise<void> {
  const id = randomUUID();
  await db.image.create({
    data: { id, sha256: randomBytes(32).toString('hex'), mimeType: 'image/png', width: 2, height: 3, byteSize: 42 },
  });
  const image = await db.image.findUnique({ where: { id } });
  expect(image).toMatchObject({ id, width: 2, height: 3, byteSize: 42 });
  expect(image?.createdAt).toBeInstanceOf(Date);

  // Foreign keys are enforced (cascade from Image to Answer).
  await db.answer.create({
    data: {
      id: randomUUID(), imageId: id, kind: 'CAPTION', prompt: 'p', text: 't', model: 'm',
      promptTokens: 1, completionTokens: 2, totalTokens: 3, latencyMs: 4,
    },
  });
  await db.image.delete({ where: { id } });
  expect(await db.answer.count({ where: { imageId: id } })).toBe(0);
}

/** What holds for either database once migrated: idempotence, and a working client. */
function itIsMigratedAndUsable(url: () => string): void {
  it('applies nothing the second time', { timeout: TIMEOUT }, async () => {
    expect(await migrateDatabase(url())).toEqual({ applied: [] });
  });

  it('openDatabase can write and read an Image', { timeout: TIMEOUT }, async () => {
    const db = await openDatabase(url());
    try {
      await createAndReadImage(db);
    } finally {
      await db.$disconnect();
    }
  });
}

describe('SQLite migrations', () => {
  let dir: string;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-test-'));
    url = `file:${path.join(dir, 'nested', 'gateway.db')}`; // parent folder does not exist yet
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the tables and _prisma_migrations rows on a fresh file', { timeout: TIMEOUT }, async () => {
    const { applied } = await migrateDatabase(url);
    expect(applied).toEqual(await committedMigrations(paths.sqlite.migrations));

    const file = new Database(path.join(dir, 'nested', 'gateway.db'), { readonly: true });
    try {
      const tables = file.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['Image', 'Answer', '_prisma_migrations']));
      const rows = file
        .prepare('SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name')
        .all() as { migration_name: string; finished_at: string | null; rolled_back_at: string | null }[];
      expect(rows.map((r) => r.migration_name)).toEqual(applied);
      for (const r of rows) {
        expect(r.finished_at).not.toBeNull();
        expect(r.rolled_back_at).toBeNull();
      }
      expect(file.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      file.close();
    }
  });

  itIsMigratedAndUsable(() => url);
});

describe.skipIf(postgresMissing)('PostgreSQL migrations', () => {
  const url = postgresSchemaUrl('test');
  const target = parseDatabaseUrl(url);
  if (target.kind !== 'postgresql') throw new Error('TEST_POSTGRES_URL must be a postgres:// URL');
  const { schema } = target;

  afterAll(async () => {
    await dropSchema(target);
  });

  it('creates the tables and _prisma_migrations rows in a fresh schema', { timeout: TIMEOUT }, async () => {
    const { applied } = await migrateDatabase(url);
    expect(applied).toEqual(await committedMigrations(paths.postgresql.migrations));

    const client = new pg.Client(pgPoolConfig(target));
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['Image', 'Answer', '_prisma_migrations']),
      );
      const rows = await client.query<{ migration_name: string; finished_at: Date | null }>(
        `SELECT migration_name, finished_at FROM "${schema}"._prisma_migrations ORDER BY migration_name`,
      );
      expect(rows.rows.map((r) => r.migration_name)).toEqual(applied);
      expect(rows.rows.every((r) => r.finished_at !== null)).toBe(true);
    } finally {
      await client.end();
    }
  });

  itIsMigratedAndUsable(() => url);
});

describe('committed migrations', () => {
  it('prisma/postgres/schema.prisma is derived from the current schema.prisma', async () => {
    expect(await postgresSchemaIsCurrent(), 'run `npm run db:generate`').toBe(true);
  });

  it('both flavours have the same migration folders', async () => {
    expect(await committedMigrations(paths.postgresql.migrations)).toEqual(
      await committedMigrations(paths.sqlite.migrations),
    );
  });

  // A schema change without `npm run db:migration -- <name>` fails here.
  it('SQLite migrations match schema.prisma', { timeout: TIMEOUT }, async () => {
    expect(await pendingMigrationSql('sqlite'), 'run `npm run db:migration -- <name>`').toBeNull();
  });

  it.skipIf(postgresMissing)('PostgreSQL migrations match schema.prisma', { timeout: TIMEOUT }, async () => {
    const sql = await pendingMigrationSql('postgresql', { pgScratchUrl: PG_URL });
    expect(sql, 'run `npm run db:migration -- <name>`').toBeNull();
  });
});

describe('openDatabase', () => {
  it('rejects other URLs naming DATABASE_URL', async () => {
    await expect(openDatabase('mysql://localhost/x')).rejects.toThrow(/DATABASE_URL/);
  });
});
