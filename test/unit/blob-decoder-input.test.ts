import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../src/platform/blob-storage/blob-store.js';
import { sha256 } from '../support/flows.js';

// A decoder (the background fingerprint) is handed the file of a copy proven whole, not a buffer of it.

describe('FileBlobStore.decoderInput', () => {
  let dir: string;
  let store: FileBlobStore;
  const lost: string[] = [];
  const monitor = { diskFault: () => {}, diskWritable: () => {}, blobLost: (key: string, reason: string) => void lost.push(`${key}:${reason}`) };

  async function put(bytes: Buffer): Promise<string> {
    const sha = sha256(bytes);
    const temp = await store.tempPath();
    await writeFile(temp, bytes);
    await store.put(sha, temp);
    return sha;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'decoder-input-'));
    store = new FileBlobStore(path.join(dir, 'blobs'), path.join(dir, 'tmp'), monitor);
    lost.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives the path of a copy just put (hashed as it was received), holding the same bytes', async () => {
    const bytes = Buffer.from('the bytes of an upload');
    const sha = await put(bytes);
    const input = await store.decoderInput(sha);
    expect(typeof input).toBe('string');
    expect(await readFile(input as string)).toEqual(bytes);
  });

  it('checks a copy changed since: damaged bytes are refused as BLOB_MISSING, never handed on', async () => {
    const sha = await put(Buffer.from('bytes that will be damaged'));
    await writeFile(path.join(dir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha), 'other bytes');
    await expect(store.decoderInput(sha)).rejects.toMatchObject({ code: 'BLOB_MISSING' });
    expect(lost).toEqual([`${sha}:damaged`]);
  });

  it('answers BLOB_MISSING for a copy that is gone', async () => {
    const sha = await put(Buffer.from('bytes that will be removed'));
    await rm(path.join(dir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha));
    await expect(store.decoderInput(sha)).rejects.toMatchObject({ code: 'BLOB_MISSING' });
  });
});
