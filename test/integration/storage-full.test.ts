import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, UploadImageDocument, UploadImagesDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { filesUnder } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';
import { captureLogs, ERROR } from '../support/log-capture.js';
import { mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

// A full disk is the server's fault: DATA_DIR on a small real filesystem (tmpfs), filled to the
// last page, so every write meets the kernel's own ENOSPC. Mounting needs root: outside CI the
// file is skipped where that is not possible; in CI it must run.

const tmpfs = await mountTmpfs(2 * 1024 * 1024);
if (typeof tmpfs === 'string' && process.env.CI) throw new Error(tmpfs);
/** The SQLite database's own small disk (room for the migrated schema and a little more). */
const dbTmpfs = await mountTmpfs(4 * 1024 * 1024);
if (typeof dbTmpfs === 'string' && process.env.CI) throw new Error(dbTmpfs);

describe.skipIf(typeof tmpfs === 'string')('uploads onto a full disk', () => {
  const fs = tmpfs as Tmpfs;
  const logs = captureLogs();
  let h: Harness;
  let dbDir: string;
  const filler = path.join(fs.dir, 'filler');

  const upload = (bytes: Buffer) => h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'a.png', bytes } }]);
  const readyz = async () => {
    const response = await fetch(new URL('/readyz', h.gateway.server.url));
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
  };
  const errorLines = (pattern: RegExp) => logs.lines.filter((line) => line.level === ERROR && pattern.test(line.msg));

  beforeAll(async () => {
    dbDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-db-'));
    const dataDir = path.join(fs.dir, 'data');
    await mkdir(dataDir);
    // Only the blobs are on the small disk: the database stays writable.
    h = await startHarness({ dataDir, logger: logs.logger, env: { DATABASE_URL: `file:${path.join(dbDir, 'gateway.db')}` } });
  });
  afterAll(async () => {
    await h?.close();
    await fs.unmount();
    await rm(dbDir, { recursive: true, force: true });
  });

  it('answers 507 STORAGE_FULL, logs one error for the episode, and /readyz reports it until writes succeed again', async () => {
    expect((await upload(await makeImage({ format: 'png', width: 32, height: 32, color: '#010101' }))).errors).toBeUndefined();
    await writeFile(filler, Buffer.alloc(4 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });

    // Larger than the whole disk: the gateway stops writing at the first failed write, and still answers.
    const image = Buffer.concat([await makeImage({ format: 'png', width: 32, height: 32, color: '#020202' }), randomBytes(3 * 1024 * 1024)]);
    const refused = await upload(image);
    expect(refused.status).toBe(507);
    expect(errorCodes(refused)).toEqual(['STORAGE_FULL']);
    expect(refused.errors![0]!.message).toMatch(/storage is full or failing \(ENOSPC\).*send it again later/i);

    const batch = await h.gateway.client.upload(UploadImagesDocument, { files: [null, null] }, [
      { path: 'variables.files.0', file: { name: 'b.png', bytes: await makeImage({ format: 'png', width: 32, height: 32, color: '#030303' }) } },
      { path: 'variables.files.1', file: { name: 'c.png', bytes: await makeImage({ format: 'png', width: 32, height: 32, color: '#040404' }) } },
    ]);
    expect(batch.status).toBe(507);
    expect(errorCodes(batch)).toEqual(['STORAGE_FULL']);
    expect(batch.errors![0]!.message).not.toMatch(/^File \d/); // not the file's fault
    expect(await filesUnder(path.join(h.gateway.dataDir, 'tmp'))).toEqual([]);

    expect(errorLines(/storage is full or failing/)).toHaveLength(1);
    expect(errorLines(/unexpected/)).toEqual([]);
    const full = await readyz();
    expect(full.status).toBe(503);
    expect(full.body.reason).toMatch(/storage full or failing \(ENOSPC\)/);

    await rm(filler);
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', checks: { storage: 'ok', database: 'ok' } } });
    expect(logs.lines.filter((line) => /storage is writable again/.test(line.msg))).toHaveLength(1);
    const accepted = await upload(await makeImage({ format: 'png', width: 32, height: 32, color: '#020202' }));
    expect(accepted.errors).toBeUndefined();
    expect(accepted.status).toBe(200);
  });
});

describe.skipIf(typeof dbTmpfs === 'string')('writes into a full database', () => {
  const fs = dbTmpfs as Tmpfs;
  const logs = captureLogs();
  let h: Harness;
  let dataDir: string;
  const dbFile = path.join(fs.dir, 'gateway.db');
  const filler = path.join(fs.dir, 'filler');
  const upload = (bytes: Buffer) => h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'a.png', bytes } }]);

  beforeAll(async () => {
    // Only the database is on the small disk: blobs are written.
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-data-'));
    h = await startHarness({ dataDir, logger: logs.logger, env: { DATABASE_URL: `file:${dbFile}` } });
  });
  afterAll(async () => {
    await h?.close();
    await fs.unmount();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers STORAGE_FULL (507) like a full disk, not INTERNAL_SERVER_ERROR, and logs it; accepts writes again once there is room', async () => {
    const stored = await upload(await makeImage({ format: 'png', width: 32, height: 32, color: '#111111' }));
    expect(stored.errors).toBeUndefined();
    // The write-ahead log emptied first, so the next write must grow a file, then the disk filled to the last page.
    const sqlite = new Database(dbFile);
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    sqlite.close();
    await writeFile(filler, Buffer.alloc(8 * 1024 * 1024)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });

    const refused = await upload(await makeImage({ format: 'png', width: 32, height: 32, color: '#121212' }));
    expect(refused.status).toBe(507);
    expect(errorCodes(refused)).toEqual(['STORAGE_FULL']);
    expect(refused.errors![0]!.message).toMatch(/database is full \(SQLITE_FULL\).*send it again later/);
    const asked = await h.gateway.client.request(AskQuestionDocument, { imageId: stored.data!.uploadImage.id, question: 'Recorded?' });
    expect(errorCodes(asked)).toEqual(['STORAGE_FULL']);
    expect(logs.lines.filter((line) => line.level === ERROR && /database or disk is full/.test(JSON.stringify(line.err)))).not.toHaveLength(0);

    await rm(filler);
    const accepted = await upload(await makeImage({ format: 'png', width: 32, height: 32, color: '#121212' }));
    expect(accepted.errors).toBeUndefined();
  });
});
