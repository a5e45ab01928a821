import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tmpfs {
  /** The mounted folder. */
  dir: string;
  unmount(): Promise<void>;
}

/**
 * A small real filesystem of its own (tmpfs), so a test can fill it and meet
 * the kernel's own ENOSPC. Needs root (CAP_SYS_ADMIN): resolves to the reason
 * when it cannot mount, so the caller can skip outside CI and fail in it.
 */
export async function mountTmpfs(sizeBytes: number): Promise<Tmpfs | string> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'gateway-tmpfs-'));
  const dir = path.join(base, 'fs');
  await mkdir(dir);
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  } catch (error) {
    await rm(base, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  }
  return {
    dir,
    unmount: async () => {
      await run('umount', [dir]);
      await rm(base, { recursive: true, force: true });
    },
  };
}
