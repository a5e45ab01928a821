import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Content-addressed storage for original image bytes. */
export interface BlobStore {
  /** A fresh path for a temporary file on the same filesystem as the blobs, so `put` can rename. */
  tempPath(): Promise<string>;
  /** Atomically moves a finished temporary file into place under its sha256. */
  put(sha256: string, tempFile: string): Promise<void>;
  read(sha256: string): Promise<Buffer>;
  remove(sha256: string): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Blobs as files under DATA_DIR/blobs/ab/cd/<sha256>: the embedded default. */
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
    const target = this.pathOf(sha256);
    await mkdir(path.dirname(target), { recursive: true });
    // rename is atomic on one filesystem: readers see no file or the whole file.
    await rename(tempFile, target);
  }

  read(sha256: string): Promise<Buffer> {
    return readFile(this.pathOf(sha256));
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  private pathOf(sha256: string): string {
    // The name comes from our own hash, but a path must never be built from anything else.
    if (!SHA256_HEX.test(sha256)) throw new Error('blob keys are lowercase sha256 hex');
    return path.join(this.blobDir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }
}
