import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { diskFaultCode, storageFull } from './disk-faults.js';

/** Who hears of disk faults where uploads land (StorageHealth, through the blob store's StorageMonitor). */
export interface DiskMonitor {
  /** A write failed with a disk fault. */
  diskFault(error: unknown): void;
  /** A write went through: a full-disk episode, if any, is over. */
  diskWritable(): void;
}

const isNotFound = (error: unknown) => (error as { code?: unknown }).code === 'ENOENT';

/** What the writability probe writes: a page or two, as the smallest upload would. */
const PROBE_BYTES = Buffer.alloc(64 * 1024);

/**
 * The local folder (DATA_DIR/tmp) where uploads land before they are checked
 * and stored, whatever holds the blobs afterwards (files or S3): sharp and the
 * hash need the whole file, and a client's body must never sit in memory.
 * A disk fault here is STORAGE_FULL, reported once per episode by the monitor.
 */
export class LocalTemporaries {
  constructor(
    private readonly dir: string,
    private readonly monitor: DiskMonitor,
  ) {}

  /** A fresh path for a temporary file (`<uuid>.part`, so the sweep knows it). */
  path(): Promise<string> {
    return this.writing(async () => {
      await mkdir(this.dir, { recursive: true });
      return path.join(this.dir, `${randomUUID()}.part`);
    });
  }

  /** Writes and removes a small file: STORAGE_FULL if that fails; a success ends a full-disk episode. */
  async checkWritable(): Promise<void> {
    const probe = await this.path();
    try {
      await this.writing(() => writeFile(probe, PROBE_BYTES));
      this.monitor.diskWritable();
    } finally {
      await rm(probe, { force: true });
    }
  }

  /** Removes the temporary files last written before `before` (left by a crash); how many. */
  async removeBefore(before: Date): Promise<number> {
    const names = await readdir(this.dir).catch((error: unknown) => {
      if (isNotFound(error)) return [];
      throw error;
    });
    let removed = 0;
    for (const name of names.filter((n) => n.endsWith('.part'))) {
      const file = path.join(this.dir, name);
      const written = await stat(file).then((s) => s.mtime, () => undefined);
      if (written && written < before) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Runs a local write; a disk fault is reported and becomes STORAGE_FULL. */
  async writing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (diskFaultCode(error) === undefined) throw error;
      this.monitor.diskFault(error);
      throw storageFull(error);
    }
  }
}
