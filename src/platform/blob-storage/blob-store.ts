import { createHash } from 'node:crypto';
import { link, mkdir, open, opendir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GatewayError } from '../errors.js';
import { LocalTemporaries, type DiskMonitor } from './local-temporaries.js';
import { fileValidator, WholeOriginals } from './whole-originals.js';

/**
 * Where a blob lives. An original image's key is its sha256; blobs derived
 * from one (thumbnails) have keys of their own, made by `thumbnailKey`. Every
 * key is checked against these shapes before a path is built, so no path can
 * ever come from user input.
 */
export type BlobKey = string;

/** Where storage reports what the operator must hear about; the stores themselves only throw coded errors. */
export interface StorageMonitor extends DiskMonitor {
  /** A read found a blob gone, or bytes that no longer match their key. */
  blobLost(key: BlobKey, reason: 'missing' | 'damaged'): void;
}

const ORIGINAL_KEY = /^[0-9a-f]{64}$/;

/** True for an original's key (its sha256): the blobs whose bytes can be checked against their key. */
export const isOriginalKey = (key: BlobKey): boolean => ORIGINAL_KEY.test(key);
const THUMBNAIL_KEY = /^thumbnails\/([0-9a-f]{64})-([1-9][0-9]{0,3})\.webp$/;

/** The key of the WebP thumbnail of an original whose longest side is at most `size`. */
export function thumbnailKey(sha256: string, size: number): BlobKey {
  return `thumbnails/${sha256}-${size}.webp`;
}

/** The sha256 of the original a blob is (or was derived from): what an image row points at. */
export function originalOf(key: BlobKey): string {
  return THUMBNAIL_KEY.exec(key)?.[1] ?? key;
}

/** True when `key` has the shape of a blob key (original or thumbnail); anything else is never a blob. */
export const isBlobKey = (key: string): boolean => ORIGINAL_KEY.test(key) || THUMBNAIL_KEY.test(key);

/** The key itself, or a thrown error for anything that is not a blob key (never a path or object name from user input). */
export function checkedBlobKey(key: string): BlobKey {
  if (!isBlobKey(key)) throw new Error(`not a blob key: ${JSON.stringify(key.slice(0, 100))}`);
  return key;
}

/** The sha256 itself, or a thrown error for anything that is not an original's key. */
export function checkedOriginalKey(sha256: string): string {
  if (!ORIGINAL_KEY.test(sha256)) throw new Error('original blob keys are lowercase sha256 hex');
  return sha256;
}

/** The keys of the thumbnails of `sha256` among `keys` (names listed in a folder or under a prefix). */
export function thumbnailsOf(sha256: string, keys: readonly string[]): BlobKey[] {
  checkedOriginalKey(sha256);
  return keys.filter((key) => THUMBNAIL_KEY.exec(key)?.[1] === sha256);
}

/** An inclusive byte range, as HTTP Range and range-parser count. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Content-addressed storage for original image bytes and the blobs derived from them. */
export interface BlobStore {
  /** A fresh path for a temporary file on the same filesystem as the blobs, so `put` can rename. */
  tempPath(): Promise<string>;
  /**
   * Atomically moves a finished temporary file into place under its sha256,
   * replacing any copy there (the same bytes), which repairs a lost or damaged one.
   */
  put(sha256: string, tempFile: string): Promise<void>;
  /** Atomically stores bytes under a key of their own (a derived blob): readers see nothing or all. */
  write(key: BlobKey, bytes: Buffer): Promise<void>;
  /** BLOB_MISSING when absent, or (originals) when the bytes no longer hash to their key. */
  read(key: BlobKey): Promise<Buffer>;
  /**
   * The blob as a decoder's input (sharp takes either): the path of a local copy already proven
   * whole, which spares the process a buffer of the whole file, or else what `read` gives.
   */
  decoderInput(key: BlobKey): Promise<string | Buffer>;
  /**
   * The blob's bytes, or one range of them, as a stream; BLOB_MISSING when absent, or (originals) when
   * the bytes no longer hash to their key: the whole original is read and hashed before the stream is returned.
   */
  openRead(key: BlobKey, range?: ByteRange): Promise<Readable>;
  /** Byte size, or null when there is no such blob. */
  size(key: BlobKey): Promise<number | null>;
  /** Writes and removes a small file where uploads land: STORAGE_FULL if that fails. */
  checkWritable(): Promise<void>;
  /** Every blob (originals and derived) last written before `before`. */
  blobsWrittenBefore(before: Date): AsyncIterable<BlobKey>;
  /** The keys of the blobs derived from an original (its thumbnails) that exist now. */
  derivedOf(sha256: string): Promise<BlobKey[]>;
  /** Removes the temporary files last written before `before` (left by a crash); how many. */
  removeTemporariesBefore(before: Date): Promise<number>;
  /**
   * Takes the blob away, then asks `keep` (given its last write time) whether
   * it must stay after all, and if so puts it back, unless a fresh copy was put
   * meanwhile. Taking it away first means a concurrent `put` either lands
   * before (and `keep` sees its write time) or after (and stays). True when removed.
   */
  removeUnless(key: BlobKey, keep: (writtenAt: Date) => Promise<boolean>): Promise<boolean>;
}

/**
 * The row says the image exists but its bytes are gone: data was lost or
 * moved under the gateway. A server fault (HTTP 500 on image URLs), never a
 * 404 that would tell clients and caches the image does not exist; the same
 * bytes uploaded again put the blob back.
 */
export function blobMissing(key: BlobKey, cause?: unknown): GatewayError {
  return new GatewayError(
    'BLOB_MISSING',
    `The stored bytes of this image are missing (blob ${key}). Upload the same image again to restore them; if many are missing, the operator must restore the blob storage (DATA_DIR/blobs, or the S3 bucket).`,
    { cause },
  );
}

/** The stored bytes are not the ones stored under this key (changed or swapped): they must not be used. */
function blobDamaged(key: BlobKey): GatewayError {
  return new GatewayError(
    'BLOB_MISSING',
    `The stored bytes of this image are damaged (blob ${key} no longer matches its sha256), so they were not used. Upload the same image again to restore them; the operator should check the blob storage (DATA_DIR/blobs, or the S3 bucket).`,
  );
}

/** Tells the monitor a blob was found lost, and returns the coded error to throw. */
export function lostBlob(monitor: StorageMonitor, key: BlobKey, reason: 'missing' | 'damaged', cause?: unknown): GatewayError {
  monitor.blobLost(key, reason);
  return reason === 'missing' ? blobMissing(key, cause) : blobDamaged(key);
}

/**
 * The bytes read under `key`, unless it is an original whose bytes no longer hash to it (bit rot, a
 * swapped file): those are never used. A copy already proven whole (`whole`, by its `validator`) is not hashed again.
 */
export function verifiedBlob(monitor: StorageMonitor, key: BlobKey, bytes: Buffer, whole: WholeOriginals, validator: string | undefined): Buffer {
  if (!ORIGINAL_KEY.test(key) || whole.isWhole(key, validator)) return bytes;
  if (createHash('sha256').update(bytes).digest('hex') !== key) throw lostBlob(monitor, key, 'damaged');
  whole.remember(key, validator);
  return bytes;
}

/**
 * Before an original is streamed out: reads the copy `open()` gives to its end through sha256 (constant
 * memory, unlike `read`), so damaged bytes are refused before any of them is sent, and remembers the
 * copy's validator as proven. Derived blobs have no hash to check.
 */
export async function checkOriginalStream(
  monitor: StorageMonitor,
  key: BlobKey,
  open: () => Promise<{ body: Readable; validator: string | undefined }>,
  whole: WholeOriginals,
): Promise<void> {
  if (!ORIGINAL_KEY.test(key)) return;
  const { body, validator } = await open();
  const hash = createHash('sha256');
  await pipeline(body, hash);
  if (hash.digest('hex') !== key) throw lostBlob(monitor, key, 'damaged');
  whole.remember(key, validator);
}

const isNotFound = (error: unknown) => (error as { code?: unknown }).code === 'ENOENT';

/** Blobs as files under DATA_DIR/blobs: originals at ab/cd/<sha256>, thumbnails at thumbnails/ab/cd/<sha256>-<size>.webp. */
export class FileBlobStore implements BlobStore {
  private readonly temporaries: LocalTemporaries;
  private readonly whole = new WholeOriginals();

  constructor(
    private readonly blobDir: string,
    tmpDir: string,
    private readonly monitor: StorageMonitor,
  ) {
    this.temporaries = new LocalTemporaries(tmpDir, monitor);
  }

  tempPath(): Promise<string> {
    return this.temporaries.path();
  }

  async put(sha256: string, tempFile: string): Promise<void> {
    const target = this.pathOf(checkedOriginalKey(sha256));
    await this.temporaries.writing(async () => {
      // Written now, as far as the orphan sweep can tell: a blob put moments ago is never old enough to sweep.
      const now = new Date();
      await utimes(tempFile, now, now);
      await this.moveInto(target, tempFile);
    });
    // The upload hashed these very bytes as it wrote them: the copy is whole until it changes, so
    // the reads that follow at once (the background fingerprint, the first model request) skip a second hash.
    this.whole.remember(sha256, fileValidator(await stat(target)));
  }

  async write(key: BlobKey, bytes: Buffer): Promise<void> {
    const target = this.pathOf(key);
    const tempFile = await this.tempPath();
    try {
      await this.temporaries.writing(async () => {
        await writeFile(tempFile, bytes);
        await this.moveInto(target, tempFile);
      });
      this.monitor.diskWritable();
    } catch (error) {
      await rm(tempFile, { force: true });
      throw error;
    }
  }

  async decoderInput(key: BlobKey): Promise<string | Buffer> {
    const target = this.pathOf(key);
    const validator = await stat(target).then(fileValidator, () => undefined);
    return isOriginalKey(key) && this.whole.isWhole(key, validator) ? target : this.read(key);
  }

  async read(key: BlobKey): Promise<Buffer> {
    const handle = await this.openFile(key);
    try {
      const validator = fileValidator(await handle.stat());
      return verifiedBlob(this.monitor, key, await handle.readFile(), this.whole, validator);
    } finally {
      await handle.close();
    }
  }

  /** Checks and sends the same open file, so a file swapped in between cannot be sent unchecked. */
  async openRead(key: BlobKey, range?: ByteRange): Promise<Readable> {
    const handle = await this.openFile(key);
    try {
      const validator = fileValidator(await handle.stat());
      if (!this.whole.isWhole(key, validator)) {
        await checkOriginalStream(this.monitor, key, async () => ({ body: handle.createReadStream({ start: 0, autoClose: false }), validator }), this.whole);
      }
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Opened here, not lazily by a stream, so a missing blob is a coded error before any byte is sent. */
  private openFile(key: BlobKey) {
    return open(this.pathOf(key), 'r').catch((error: unknown) => {
      throw isNotFound(error) ? lostBlob(this.monitor, key, 'missing', error) : error;
    });
  }

  async size(key: BlobKey): Promise<number | null> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  checkWritable(): Promise<void> {
    return this.temporaries.checkWritable();
  }

  async *blobsWrittenBefore(before: Date): AsyncIterable<BlobKey> {
    let dir;
    try {
      dir = await opendir(this.blobDir, { recursive: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for await (const entry of dir) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const key = this.keyOf(file);
      if (key === undefined) continue; // not a blob: left alone
      const written = await stat(file).then((s) => s.mtime, () => undefined); // gone meanwhile: nothing to sweep
      if (written && written < before) yield key;
    }
  }

  async derivedOf(sha256: string): Promise<BlobKey[]> {
    const dir = path.dirname(this.pathOf(thumbnailKey(checkedOriginalKey(sha256), 1)));
    const names = await readdir(dir).catch((error: unknown) => {
      if (isNotFound(error)) return [];
      throw error;
    });
    return thumbnailsOf(sha256, names.map((name) => `thumbnails/${name}`));
  }

  removeTemporariesBefore(before: Date): Promise<number> {
    return this.temporaries.removeBefore(before);
  }

  async removeUnless(key: BlobKey, keep: (writtenAt: Date) => Promise<boolean>): Promise<boolean> {
    const target = this.pathOf(key);
    // Aside as a temporary file: should the process die before the end, the sweep of temporaries removes it.
    const aside = await this.tempPath();
    try {
      await rename(target, aside);
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    let remove = false;
    try {
      remove = !(await keep((await stat(aside)).mtime));
      return remove;
    } finally {
      // Back unless removed (or `keep` failed); a link never replaces a copy a concurrent put made meanwhile.
      if (!remove) {
        await link(aside, target).catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
        });
      }
      await rm(aside, { force: true });
    }
  }

  private async moveInto(target: string, tempFile: string): Promise<void> {
    await mkdir(path.dirname(target), { recursive: true });
    // rename is atomic on one filesystem: readers see no file or the whole file.
    await rename(tempFile, target);
  }

  private pathOf(key: BlobKey): string {
    checkedBlobKey(key);
    if (ORIGINAL_KEY.test(key)) return path.join(this.blobDir, key.slice(0, 2), key.slice(2, 4), key);
    const [, sha256, size] = THUMBNAIL_KEY.exec(key)!;
    return path.join(this.blobDir, 'thumbnails', sha256!.slice(0, 2), sha256!.slice(2, 4), `${sha256}-${size}.webp`);
  }

  /** The key whose path this is, or undefined for any other file. */
  private keyOf(file: string): BlobKey | undefined {
    const name = path.basename(file);
    const key = ORIGINAL_KEY.test(name) ? name : `thumbnails/${name}`;
    return isBlobKey(key) && this.pathOf(key) === file ? key : undefined;
  }
}
