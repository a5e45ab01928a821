import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/platform/database/database.js';

let dir: string;
let db: Db;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sqlite-durability-'));
  db = await openDatabase(`file:${path.join(dir, 'gateway.db')}`);
});
afterAll(async () => {
  await db.$disconnect();
  await rm(dir, { recursive: true, force: true });
});

it('opens SQLite in WAL mode with synchronous=NORMAL (durable across a process crash, no fsync per commit)', async () => {
  const [journal] = await db.$queryRawUnsafe<Array<{ journal_mode: string }>>('PRAGMA journal_mode');
  const [sync] = await db.$queryRawUnsafe<Array<{ synchronous: bigint | number }>>('PRAGMA synchronous');
  expect(journal!.journal_mode).toBe('wal');
  expect(Number(sync!.synchronous)).toBe(1); // 0 OFF, 1 NORMAL, 2 FULL
});
