import { LRUCache } from 'lru-cache';

/** How long a proof holds: bit rot that leaves a copy's validator unchanged is still found within this. */
const RECHECK_AFTER_MS = 10 * 60_000;

/**
 * Originals already found to hash to their key, each with a validator of the
 * stored copy it was found in (a file's inode, size and mtime; an object's
 * ETag). A repeat read or a range request of an unchanged copy is not read
 * and hashed whole again: only a changed, replaced or re-put copy is, and
 * every copy again after RECHECK_AFTER_MS.
 */
export class WholeOriginals {
  private readonly proven = new LRUCache<string, string>({ max: 20_000, ttl: RECHECK_AFTER_MS });

  isWhole(key: string, validator: string | undefined): boolean {
    return validator !== undefined && this.proven.get(key) === validator;
  }

  remember(key: string, validator: string | undefined): void {
    if (validator !== undefined) this.proven.set(key, validator);
  }
}

/** A file's validator: a replaced, rewritten or truncated file changes one of these. */
export function fileValidator(stats: { ino: number; size: number; mtimeMs: number }): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
}
