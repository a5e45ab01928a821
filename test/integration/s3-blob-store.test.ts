import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thumbnailKey, type BlobKey, type StorageMonitor } from '../../src/platform/blob-storage/blob-store.js';
import { LocalTemporaries } from '../../src/platform/blob-storage/local-temporaries.js';
import { createS3Client, S3BlobStore, type S3Settings } from '../../src/platform/blob-storage/s3-blob-store.js';
import { startS3, type TestS3 } from '../support/s3.js';

// The S3 blob store against a real S3-compatible server (s3rver): the BlobStore contract the
// upload, delivery, deletion and orphan sweep code relies on, under S3_PREFIX.

let s3: TestS3;
let tmpDir: string;
let store: S3BlobStore;
const lost: Array<[BlobKey, string]> = [];
const monitor: StorageMonitor = { diskFault: () => {}, diskWritable: () => {}, blobLost: (key, reason) => lost.push([key, reason]) };
const PREFIX = 'gw/';
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const future = () => new Date(Date.now() + 60_000);

/** Puts bytes as an original through a temporary file, as an upload does. */
async function putOriginal(bytes: Buffer): Promise<string> {
  const file = await store.tempPath();
  await writeFile(file, bytes);
  await store.put(sha(bytes), file);
  return sha(bytes);
}

beforeAll(async () => {
  s3 = await startS3();
  tmpDir = await mkdtemp(path.join(os.tmpdir(), 's3-store-tmp-'));
  s3.useCredentialsHere();
  const settings: S3Settings = { bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, prefix: PREFIX, region: 'us-east-1' };
  store = new S3BlobStore({ client: createS3Client(settings), settings, temporaries: new LocalTemporaries(tmpDir, monitor), monitor });
});
afterAll(async () => {
  store?.close();
  await s3?.close();
  await rm(tmpDir, { recursive: true, force: true });
});

describe('the S3 blob store', () => {
  it('puts an original under its sha256 behind the prefix, and reads it whole, by range and by size', async () => {
    const bytes = Buffer.from('an original, content-addressed');
    const key = await putOriginal(bytes);
    expect(await s3.object(`${PREFIX}${key}`)).toEqual(bytes);
    expect(await store.read(key)).toEqual(bytes);
    expect(await text(await store.openRead(key, { start: 3, end: 10 }))).toBe(bytes.subarray(3, 11).toString());
    expect(await store.size(key)).toBe(bytes.length);
    expect(await store.size('0'.repeat(64))).toBeNull();
  });

  it('sends a large original as a multipart upload and stores every byte', async () => {
    const bytes = Buffer.alloc(9 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32BE(i, i);
    const key = await putOriginal(bytes);
    expect(sha(await s3.object(`${PREFIX}${key}`))).toBe(key);
  });

  it('reports a missing original as BLOB_MISSING and a damaged one as unusable, and a put repairs both', async () => {
    const bytes = Buffer.from('bytes that will be lost');
    const key = await putOriginal(bytes);
    await s3.remove(`${PREFIX}${key}`);
    await expect(store.read(key)).rejects.toMatchObject({ code: 'BLOB_MISSING', message: expect.stringMatching(/missing/) });
    await expect(store.openRead(key)).rejects.toMatchObject({ code: 'BLOB_MISSING' });
    await store.write(thumbnailKey(key, 1), Buffer.from('x')); // (a derived blob is not checked against a hash)
    expect(await putOriginal(bytes)).toBe(key);
    expect(await store.read(key)).toEqual(bytes);
    expect(lost).toContainEqual([key, 'missing']);
  });

  it('proves an original whole once per copy: a repeat range read is one GET, a replaced object is read whole again', async () => {
    const bytes = Buffer.from('an original served by ranges, again and again');
    const key = await putOriginal(bytes);
    const getsOf = async (read: () => Promise<unknown>) => {
      const before = s3.requests.length;
      await read();
      return s3.requests.slice(before).filter((r) => r.method === 'GET' && r.path.includes(key)).length;
    };
    const range = () => store.openRead(key, { start: 3, end: 10 }).then(text);
    expect(await getsOf(range)).toBe(3); // the range (dropped: not proven yet), the whole through sha256, the range again
    expect(await getsOf(range)).toBe(1);
    expect(await getsOf(() => store.read(key))).toBe(1);
    // Another copy under the same key (new ETag): proven again, and refused when its bytes are not the key's.
    await s3.put(`${PREFIX}${key}`, Buffer.from('bytes that are not the original'));
    await expect(range()).rejects.toMatchObject({ code: 'BLOB_MISSING', message: expect.stringMatching(/damaged/) });
    await expect(store.read(key)).rejects.toMatchObject({ code: 'BLOB_MISSING' });
    expect(await putOriginal(bytes)).toBe(key);
    expect(await range()).toBe(bytes.subarray(3, 11).toString());
  });

  it('lists the blobs written before a time and the thumbnails of an original, and nothing else in the bucket', async () => {
    const key = await putOriginal(Buffer.from('listed'));
    await store.write(thumbnailKey(key, 64), Buffer.from('thumb 64'));
    await store.write(thumbnailKey(key, 128), Buffer.from('thumb 128'));
    const listed: string[] = [];
    for await (const blob of store.blobsWrittenBefore(future())) listed.push(blob);
    expect(listed).toEqual(expect.arrayContaining([key, thumbnailKey(key, 64), thumbnailKey(key, 128)]));
    expect(listed.every((blob) => !blob.startsWith(PREFIX) && !blob.startsWith('tmp/'))).toBe(true);
    const before: string[] = [];
    for await (const blob of store.blobsWrittenBefore(new Date(Date.now() - 60 * 60_000))) before.push(blob);
    expect(before).toEqual([]);
    expect((await store.derivedOf(key)).sort()).toEqual([thumbnailKey(key, 128), thumbnailKey(key, 64)].sort());
  });

  it('removes a blob unless `keep` says otherwise, then puts it back whole with its write time', async () => {
    const bytes = Buffer.from('kept or removed');
    const key = await putOriginal(bytes);
    let seen: Date | undefined;
    const kept = await store.removeUnless(key, async (writtenAt) => {
      seen = writtenAt;
      // Aside while `keep` is asked: readers meet a missing blob, as with the file store's rename.
      expect(await store.size(key)).toBeNull();
      return true;
    });
    expect(kept).toBe(false);
    expect(Math.abs(seen!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await store.read(key)).toEqual(bytes);

    expect(await store.removeUnless(key, async () => false)).toBe(true);
    expect(await store.size(key)).toBeNull();
    expect(await store.removeUnless(key, async () => false)).toBe(false);
    expect((await s3.keys()).filter((k) => k.startsWith(`${PREFIX}tmp/`))).toEqual([]);
  });

  it('puts a blob back when `keep` fails', async () => {
    const key = await putOriginal(Buffer.from('keep fails'));
    await expect(store.removeUnless(key, () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await store.read(key)).toEqual(Buffer.from('keep fails'));
  });

  it('sweeps the copies a crash left aside and old local temporaries, and nothing else', async () => {
    await s3.put(`${PREFIX}tmp/left-by-a-crash`, Buffer.from('aside'));
    await s3.put('elsewhere/tmp/not-ours', Buffer.from('another prefix'));
    const blobs = (await s3.keys()).filter((k) => !k.includes('tmp/'));
    expect(await store.removeTemporariesBefore(new Date(Date.now() - 60_000))).toBe(0);
    expect(await store.removeTemporariesBefore(future())).toBeGreaterThanOrEqual(1);
    const left = await s3.keys();
    expect(left).not.toContain(`${PREFIX}tmp/left-by-a-crash`);
    expect(left).toContain('elsewhere/tmp/not-ours');
    expect(left.filter((k) => !k.includes('tmp/'))).toEqual(blobs);
  });

  it('answers readiness from the bucket: not ready, naming bucket and endpoint, while S3 is down', async () => {
    expect(await store.readiness()).toEqual({ ok: true });
    await s3.pause();
    try {
      const down = await store.readiness();
      expect(down.ok).toBe(false);
      expect(down.reason).toContain(`bucket "${s3.bucket}" at ${s3.endpoint}`);
      await expect(store.read('1'.repeat(64))).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR', retryable: true, message: expect.stringContaining('blob storage (S3 bucket') });
    } finally {
      await s3.resume();
    }
    expect(await store.readiness()).toEqual({ ok: true });
  });
});
