import { open } from 'node:fs/promises';

/**
 * Reads a file the gateway has just written (an upload, for its structure
 * walk) into a buffer kept between uploads. A new buffer per upload, 3–5 MB
 * for a 12 MP photo, is memory outside V8's heap, which V8 frees only with a
 * full collection: on Node 24 the read-back's buffers set off one every few
 * uploads, each marking the whole heap (30–70 ms on 2 cores).
 *
 * At most KEPT buffers of up to MAX_KEPT_BYTES each stay between uploads; a
 * larger file, or a walk while every kept buffer is in use, gets a buffer of
 * its own as before. `use` sees exactly the file's bytes (a subarray), never
 * what an earlier file left in the buffer, and must be done with them when it
 * returns (or its promise settles): the buffer is reused after. Written here
 * because it is a free list of two buffers: a pooling package would add more
 * than it saves.
 */
const KEPT = 2;
const MAX_KEPT_BYTES = 16 * 1024 * 1024;
/** Kept buffers are sized in steps of this, so the next photo, a little larger, still fits. */
const STEP = 4 * 1024 * 1024;

const kept: Buffer[] = [];

export async function withFileBytes<T>(file: string, use: (bytes: Buffer) => T): Promise<Awaited<T>> {
  const handle = await open(file);
  let buffer: Buffer | null = null;
  try {
    const { size } = await handle.stat();
    buffer = take(size);
    let length = 0;
    while (length < size) {
      const { bytesRead } = await handle.read(buffer, length, size - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return await use(buffer.subarray(0, length));
  } finally {
    await handle.close();
    if (buffer) give(buffer);
  }
}

/** The smallest kept buffer the file fits in (a larger one stays for a larger file), else a new one. */
function take(size: number): Buffer {
  let index = -1;
  kept.forEach((buffer, i) => {
    if (buffer.length >= size && (index < 0 || buffer.length < kept[index]!.length)) index = i;
  });
  if (index >= 0) return kept.splice(index, 1)[0]!;
  return Buffer.allocUnsafe(size > MAX_KEPT_BYTES ? size : Math.min(MAX_KEPT_BYTES, Math.max(STEP, Math.ceil(size / STEP) * STEP)));
}

/** Keeps the buffer if there is room, or in place of a smaller kept one (the larger fits more files). */
function give(buffer: Buffer): void {
  if (buffer.length > MAX_KEPT_BYTES) return;
  if (kept.length < KEPT) {
    kept.push(buffer);
    return;
  }
  const smallest = kept.reduce((min, candidate, i) => (candidate.length < kept[min]!.length ? i : min), 0);
  if (kept[smallest]!.length < buffer.length) kept[smallest] = buffer;
}
