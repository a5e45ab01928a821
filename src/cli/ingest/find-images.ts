import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';

/** What the gateway accepts, by sniffed type. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);

/** Enough of the head for file-type to recognise every image format. */
const SNIFF_BYTES = 4100;

export interface ImageFile {
  /** The path as shown in the output: the argument, joined with the path below it. */
  path: string;
  absolutePath: string;
  mimeType: string;
  size: number;
}

export interface ScanResult {
  images: ImageFile[];
  /** Files that are not JPEG, PNG, WebP or GIF, with why (already reported through `warn`). */
  skipped: Array<{ path: string; reason: string }>;
  /** Files that could not be read. */
  unreadable: Array<{ path: string; error: string }>;
}

export class MissingPathError extends Error {}

/**
 * Walks the paths depth-first in name order. Symlinks are followed, but every
 * directory and file is visited once by its real path, so links that loop
 * back (or reach the same place twice) add nothing.
 */
export async function findImages(paths: readonly string[], warn: (message: string) => void): Promise<ScanResult> {
  const result: ScanResult = { images: [], skipped: [], unreadable: [] };
  const seen = new Set<string>();

  const visitFile = async (shown: string, real: string, size: number) => {
    let mimeType: string | undefined;
    try {
      mimeType = await sniff(real);
    } catch (error) {
      const message = errorMessage(error);
      warn(`warning: cannot read ${shown}: ${message}`);
      result.unreadable.push({ path: shown, error: message });
      return;
    }
    if (mimeType && IMAGE_TYPES.has(mimeType)) {
      result.images.push({ path: shown, absolutePath: real, mimeType, size });
    } else {
      const reason = size === 0 ? 'empty file' : mimeType ? `${mimeType}, not a JPEG, PNG, WebP or GIF` : 'not a JPEG, PNG, WebP or GIF';
      warn(`warning: skipping ${shown}: ${reason}`);
      result.skipped.push({ path: shown, reason });
    }
  };

  const visit = async (shown: string, topLevel: boolean): Promise<void> => {
    let real: string;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      real = await realpath(shown);
      info = await stat(real);
    } catch (error) {
      if (topLevel) throw new MissingPathError(`${shown}: ${errorMessage(error)}`);
      warn(`warning: skipping ${shown}: ${errorMessage(error)}`); // e.g. a dangling symlink
      result.skipped.push({ path: shown, reason: errorMessage(error) });
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    if (info.isDirectory()) {
      let names: string[];
      try {
        names = (await readdir(real)).sort();
      } catch (error) {
        warn(`warning: cannot read folder ${shown}: ${errorMessage(error)}`);
        result.unreadable.push({ path: shown, error: errorMessage(error) });
        return;
      }
      for (const name of names) await visit(path.join(shown, name), false);
    } else if (info.isFile()) {
      await visitFile(shown, real, info.size);
    } else if (topLevel) {
      throw new MissingPathError(`${shown}: not a file or folder`);
    }
    // Sockets, FIFOs and devices inside folders are passed over silently.
  };

  // Every argument must exist before anything is read, so a typo fails fast.
  for (const p of paths) {
    try {
      await stat(p);
    } catch (error) {
      throw new MissingPathError(`${p}: ${errorMessage(error)}`);
    }
  }
  for (const p of paths) await visit(p, true);
  return result;
}

async function sniff(file: string): Promise<string | undefined> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    if (bytesRead === 0) return undefined;
    return (await fileTypeFromBuffer(buffer.subarray(0, bytesRead)))?.mime;
  } finally {
    await handle.close();
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file or folder';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ELOOP') return 'too many levels of symbolic links';
    return error.message;
  }
  return String(error);
}
