import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBlobStore, thumbnailKey } from '../../src/platform/blob-storage/blob-store.js';
import { BlobsInFlight } from '../../src/modules/images/blobs-in-flight.js';
import { BlobRelease } from '../../src/modules/lifecycle/blob-release.js';
import { sha256 } from '../support/flows.js';

/** Which bytes image rows still point at: what BlobRelease asks the database. */
class Rows {
  readonly used = new Set<string>();
  blobInUse = async (sha: string) => this.used.has(sha);
  blobsInUse = async (shas: readonly string[]) => new Set(shas.filter((sha) => this.used.has(sha)));
}

const noMonitor = { diskFault: () => {}, diskWritable: () => {}, blobLost: () => {} };

describe('releasing the blobs of deleted images', () => {
  let dir: string;
  let store: FileBlobStore;
  let rows: Rows;
  let inFlight: BlobsInFlight;
  let release: BlobRelease;

  /** An original and its thumbnails, as uploads and thumbnail requests leave them. */
  async function stored(bytes: Buffer, sizes: number[]): Promise<string> {
    const sha = sha256(bytes);
    const temp = await store.tempPath();
    await writeFile(temp, bytes);
    await store.put(sha, temp);
    for (const size of sizes) await store.write(thumbnailKey(sha, size), Buffer.from(`thumbnail ${size}`));
    return sha;
  }

  const present = async (sha: string) => [(await store.size(sha)) !== null, ...(await store.derivedOf(sha))];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'blob-release-'));
    store = new FileBlobStore(path.join(dir, 'blobs'), path.join(dir, 'tmp'), noMonitor);
    rows = new Rows();
    inFlight = new BlobsInFlight();
    release = new BlobRelease(store, rows, inFlight);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('removes the original and every thumbnail of bytes no row uses', async () => {
    const sha = await stored(Buffer.from('deleted image'), [64, 256]);
    expect(await store.derivedOf(sha)).toEqual(expect.arrayContaining([thumbnailKey(sha, 64), thumbnailKey(sha, 256)]));
    expect(await release.release([sha, sha])).toEqual({ originals: [sha], thumbnails: 2 });
    expect(await present(sha)).toEqual([false]);
  });

  it('keeps bytes another image row still points at, and bytes an upload is storing', async () => {
    const shared = await stored(Buffer.from('shared image'), [64]);
    const uploading = await stored(Buffer.from('uploaded again right now'), [64]);
    rows.used.add(shared);
    const done = inFlight.hold([uploading]);
    expect(await release.release([shared, uploading])).toEqual({ originals: [], thumbnails: 0 });
    expect(await present(shared)).toEqual([true, thumbnailKey(shared, 64)]);
    expect(await present(uploading)).toEqual([true, thumbnailKey(uploading, 64)]);
    done();
    expect((await release.release([uploading])).originals).toEqual([uploading]);
  });

  it('lists only the thumbnails of the bytes asked about, though others share their folder', async () => {
    // Two hashes whose first four hex digits match share the thumbnail folder ab/cd/.
    const [a, b] = ['abcd'.padEnd(64, '1'), 'abcd'.padEnd(64, '2')];
    await store.write(thumbnailKey(a, 64), Buffer.from('a'));
    await store.write(thumbnailKey(b, 64), Buffer.from('b'));
    expect(await store.derivedOf(a)).toEqual([thumbnailKey(a, 64)]);
    expect(await store.derivedOf('ef'.repeat(32))).toEqual([]);
  });
});
