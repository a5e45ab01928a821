import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { GatewayError } from '../errors.js';

/**
 * Where a blob lives. An original image's key is its sha256; blobs derived
 * from one (thumbnails) have keys of their own, made by `thumbnailKey`. Every
 * key is checked against these shapes before a path is built, so no path can
 * ever come from user input.
 */
export type BlobKey = string;

const ORIGINAL_KEY = /^[0-9a-f]{64}$/;
const THUMBNAIL_KEY = /^thumbnails\/([0-9a-f]{64})-([1-9][0-9]{0,3})\.webp$/;

/** The key of the WebP thumbnail of an original whose longest side is at most `size`. */
export function thumbnailKey(sha256: string, size: number): BlobKey {
  return `thumbnails/${sha256}-${size}.webp`;
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
  /** Atomically moves a finished temporary file into place under its sha256. */
  put(sha256: string, tempFile: string): Promise<void>;
  /** Atomically stores bytes under a key of their own (a derived blob): readers see nothing or all. */
  write(key: BlobKey, bytes: Buffer): Promise<void>;
  /** BLOB_MISSING when absent. */
  read(key: BlobKey): Promise<Buffer>;
  /** The blob's bytes, or one range of them, as a stream; BLOB_MISSING when absent. */
  openRead(key: BlobKey, range?: ByteRange): Promise<Readable>;
  /** Byte size, or null when there is no such blob. */
  size(key: BlobKey): Promise<number | null>;
  remove(key: BlobKey): Promise<void>;
}

/**
 * The row says the image exists but its bytes are gone: data was lost or
 * moved under the gateway, which the operator must fix, so it is a server
 * fault (HTTP 500), never a 404 that would tell clients and caches the image
 * does not exist.
 */
export function blobMissing(key: BlobKey, cause?: unknown): GatewayError {
  return new GatewayError('BLOB_MISSING', `The stored bytes of this image are missing (blob ${key}). The operator must restore DATA_DIR/blobs or upload the image again.`, { cause });
}

const isNotFound = (error: unknown) => (error as { code?: unknown }).code === 'ENOENT';

/** Blobs as files under DATA_DIR/blobs: originals at ab/cd/<sha256>, thumbnails at thumbnails/ab/cd/<sha256>-<size>.webp. */
export class FileBlobStore implements BlobStore {
  constructor(
    private readonly blobDir: string,
    private readonly tmpDir: string,
  ) {}

  async tempPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, `${randomUUID()}.part`);
  }

  async put(sha256: string, tempFile: string): Promise<void> {
    if (!ORIGINAL_KEY.test(sha256)) throw new Error('original blob keys are lowercase sha256 hex');
    await this.moveInto(this.pathOf(sha256), tempFile);
  }

  async write(key: BlobKey, bytes: Buffer): Promise<void> {
    const target = this.pathOf(key);
    const tempFile = await this.tempPath();
    try {
      await writeFile(tempFile, bytes);
      await this.moveInto(target, tempFile);
    } catch (error) {
      await rm(tempFile, { force: true });
      throw error;
    }
  }

  async read(key: BlobKey): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      throw isNotFound(error) ? blobMissing(key, error) : error;
    }
  }

  async openRead(key: BlobKey, range?: ByteRange): Promise<Readable> {
    // Opened here, not lazily by the stream, so a missing blob is a coded error before any byte is sent.
    const handle = await open(this.pathOf(key), 'r').catch((error: unknown) => {
      throw isNotFound(error) ? blobMissing(key, error) : error;
    });
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async size(key: BlobKey): Promise<number | null> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async remove(key: BlobKey): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private async moveInto(target: string, tempFile: string): Promise<void> {
    await mkdir(path.dirname(target), { recursive: true });
    // rename is atomic on one filesystem: readers see no file or the whole file.
    await rename(tempFile, target);
  }

  private pathOf(key: BlobKey): string {
    if (ORIGINAL_KEY.test(key)) return path.join(this.blobDir, key.slice(0, 2), key.slice(2, 4), key);
    const thumbnail = THUMBNAIL_KEY.exec(key);
    if (thumbnail) {
      const sha256 = thumbnail[1]!;
      return path.join(this.blobDir, 'thumbnails', sha256.slice(0, 2), sha256.slice(2, 4), `${sha256}-${thumbnail[2]}.webp`);
    }
    throw new Error(`not a blob key: ${JSON.stringify(key.slice(0, 100))}`);
  }
}
