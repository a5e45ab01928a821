import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListImagesDocument, UploadImagesDocument } from '../generated/graphql.js';
import { PROCESS_START_MS, spawnGateway, type ChildGateway } from '../support/child-gateway.js';
import { errorCodes, type GraphQLClient } from '../support/client.js';
import { filesUnder, sha256, uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';

// uploadImages stores every file or none: blobs first, then every row in one transaction. A
// database failure mid-batch leaves no row; a SIGKILL mid-batch leaves blobs without rows and
// temporary files, which the next start sweeps once they are older than any upload can take.

const blobRelPath = (sha: string) => path.join(sha.slice(0, 2), sha.slice(2, 4), sha);
const thumbnailRelPath = (sha: string, size: number) => path.join('thumbnails', sha.slice(0, 2), sha.slice(2, 4), `${sha}-${size}.webp`);
const batchOf = (colors: string[]) => Promise.all(colors.map((color) => makeImage({ format: 'png', width: 24, height: 24, color })));
const uploadBatch = (client: GraphQLClient, files: Buffer[]) =>
  client.upload(
    UploadImagesDocument,
    { files: files.map(() => null) },
    files.map((bytes, i) => ({ path: `variables.files.${i}`, file: { name: `${i}.png`, bytes } })),
  );
const imageShas = async (client: GraphQLClient) => (await client.request(ListImagesDocument, { first: 100 })).data!.images.edges.map((e) => e.node.sha256);

describe('uploadImages when the database fails mid-batch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('keeps no new row and no new blob of the batch, and stores it whole once the database works', async () => {
    // The batch repeats an image stored before: its row and blob must outlive the failure.
    const stored = await uploadNew(h.gateway.client, { format: 'png', width: 24, height: 24, color: '#a00000' });
    const files = [stored.bytes, ...(await batchOf(['#a00001', '#a00002', '#a00003']))];
    const shas = files.map(sha256);
    const before = await imageShas(h.gateway.client);
    // A real failure of the database itself, at the third row of four.
    const db = new Database(path.join(h.gateway.dataDir, 'gateway.db'));
    db.exec(`CREATE TRIGGER fail_mid_batch BEFORE INSERT ON "Image" WHEN NEW.sha256 = '${shas[2]}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    try {
      const response = await uploadBatch(h.gateway.client, files);
      expect(errorCodes(response)).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      db.exec('DROP TRIGGER fail_mid_batch');
      db.close();
    }
    expect(await imageShas(h.gateway.client)).toEqual(before);
    const blobs = await filesUnder(path.join(h.gateway.dataDir, 'blobs'));
    expect(shas.map(blobRelPath).filter((blob) => blobs.includes(blob))).toEqual([blobRelPath(stored.sha256)]);

    const again = await uploadBatch(h.gateway.client, files);
    expect(again.errors).toBeUndefined();
    expect(again.data!.uploadImages.map((image) => image.sha256)).toEqual(shas);
  });
});

describe('uploadImages racing itself', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('gives overlapping concurrent batches of the same bytes one image per content, and keeps every blob', async () => {
    const files = await batchOf(['#c00001', '#c00002', '#c00003']);
    const batches = [files, [files[2]!, files[1]!], [files[0]!, files[2]!], files, ...files.map((bytes) => [bytes, bytes]), [files[1]!]];
    const responses = await Promise.all(batches.map((batch) => uploadBatch(h.gateway.client, batch)));
    const idOf = new Map<string, Set<string>>();
    responses.forEach((response, i) => {
      expect(response.errors).toBeUndefined();
      response.data!.uploadImages.forEach((image, j) => {
        expect(image.sha256).toBe(sha256(batches[i]![j]!));
        idOf.set(image.sha256, (idOf.get(image.sha256) ?? new Set()).add(image.id));
      });
    });
    expect([...idOf.values()].map((ids) => ids.size)).toEqual([1, 1, 1]);
    expect((await imageShas(h.gateway.client)).sort()).toEqual(files.map(sha256).sort());
    expect(await filesUnder(path.join(h.gateway.dataDir, 'blobs'))).toEqual(expect.arrayContaining(files.map((bytes) => blobRelPath(sha256(bytes)))));
  });
});

/** Sends a multipart upload whose file stops half-way and never ends: the gateway holds a temporary file for it. */
function stalledUpload(url: string, bytes: Buffer): http.ClientRequest {
  const boundary = 'stalledboundary';
  const operations = JSON.stringify({ query: 'mutation($file: Upload!) { uploadImage(file: $file) { id } }', variables: { file: null } });
  const request = http.request(url, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' },
  });
  request.on('error', () => undefined); // the gateway dies under it
  request.write(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  request.write(bytes.subarray(0, bytes.length >> 1));
  return request;
}

describe('a gateway killed with SIGKILL mid-batch', () => {
  let dataDir: string;
  const children: ChildGateway[] = [];
  const start = async () => {
    const child = await spawnGateway({ DATA_DIR: dataDir });
    children.push(child);
    return child;
  };
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-kill-'));
  });
  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves no row of the batch; the next start sweeps its blobs and temporary files once old, and nothing a row points at', async () => {
    const blobDir = path.join(dataDir, 'blobs');
    const tmpDir = path.join(dataDir, 'tmp');
    let gateway = await start();
    const kept = await uploadNew(gateway.client, { format: 'png', width: 30, height: 30, color: '#0a0b0c' });
    const files = await batchOf(['#b00001', '#b00002', '#b00003']);
    const batch = files.map((bytes) => blobRelPath(sha256(bytes)));

    // An upload whose body stops half-way: a temporary file, open until the process dies.
    const stalled = stalledUpload(gateway.url, await makeImage({ format: 'png', width: 400, height: 400, color: '#c0c0c0' }));
    await expect.poll(async () => (await filesUnder(tmpDir)).length, { timeout: 20_000, interval: 10 }).toBe(1);

    // Hold the database's write lock: the batch's blobs go in place, its rows wait. Kill it there.
    const db = new Database(path.join(dataDir, 'gateway.db'));
    db.exec('BEGIN IMMEDIATE');
    const sent = uploadBatch(gateway.client, files).catch((error: unknown) => error);
    const inPlace = async () => {
      const now = await filesUnder(blobDir);
      return batch.filter((blob) => now.includes(blob)).length;
    };
    await expect.poll(inPlace, { timeout: 20_000, interval: 5 }).toBe(batch.length);
    gateway.process.kill('SIGKILL');
    expect(await gateway.exited).toBe('SIGKILL');
    db.exec('ROLLBACK');
    db.close();
    await sent;
    stalled.destroy();

    // What the sweep must tell apart: old leftovers (all aged by two hours, as if from a crash that
    // long ago), a thumbnail whose original has no row, the kept image's own blob and thumbnail,
    // and an orphan too young to be sure of (it could belong to an upload still running elsewhere).
    const orphanThumbnail = thumbnailRelPath(sha256(files[0]!), 64);
    const keptThumbnail = thumbnailRelPath(kept.sha256, 64);
    const youngBytes = randomBytes(100);
    const young = blobRelPath(sha256(youngBytes));
    for (const [rel, bytes] of [[orphanThumbnail, randomBytes(50)], [keptThumbnail, randomBytes(50)], [young, youngBytes]] as const) {
      await mkdir(path.dirname(path.join(blobDir, rel)), { recursive: true });
      await writeFile(path.join(blobDir, rel), bytes);
    }
    const longAgo = new Date(Date.now() - 2 * 3600 * 1000);
    for (const dir of [blobDir, tmpDir]) {
      for (const rel of await filesUnder(dir)) if (rel !== young) await utimes(path.join(dir, rel), longAgo, longAgo);
    }
    expect((await filesUnder(tmpDir)).length).toBeGreaterThan(0);

    gateway = await start();
    await expect.poll(() => gateway.logs.some((line) => line.includes('orphan sweep done')), { timeout: 20_000, interval: 20 }).toBe(true);
    const left = await filesUnder(blobDir);
    expect(batch.filter((blob) => left.includes(blob))).toEqual([]);
    expect(left).not.toContain(orphanThumbnail);
    expect(left).toEqual(expect.arrayContaining([blobRelPath(kept.sha256), keptThumbnail, young]));
    expect(await filesUnder(tmpDir)).toEqual([]);
    expect(await imageShas(gateway.client)).toEqual([kept.sha256]);
    expect((await stat(path.join(blobDir, blobRelPath(kept.sha256)))).size).toBe(kept.bytes.length);

    const again = await uploadBatch(gateway.client, files);
    expect(again.errors).toBeUndefined();
    expect(await filesUnder(blobDir)).toEqual(expect.arrayContaining(batch));
  }, 3 * PROCESS_START_MS); // two process starts on a busy machine: a generous bound on what is not under test
});
