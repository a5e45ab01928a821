import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFileBytes } from '../../src/modules/images/read-back.js';

const MB = 1024 * 1024;

describe('withFileBytes (an upload read back into a kept buffer)', () => {
  let dir: string;
  const file = async (name: string, bytes: Buffer) => {
    const target = path.join(dir, name);
    await writeFile(target, bytes);
    return target;
  };
  /** A copy of what `use` saw, with the memory it saw it in. */
  const read = (target: string) => withFileBytes(target, (bytes) => ({ copy: Buffer.from(bytes), memory: bytes.buffer }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'read-back-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives exactly the file, never what a larger file left in the same buffer', async () => {
    const large = randomBytes(5 * MB);
    const small = randomBytes(1000);
    const first = await read(await file('large', large));
    const second = await read(await file('small', small));
    expect(first.copy.equals(large)).toBe(true);
    expect(second.copy.equals(small)).toBe(true);
    expect((await read(await file('empty', Buffer.alloc(0)))).copy.length).toBe(0);
  });

  it('reads the next upload into the buffer the last one used', async () => {
    const a = await read(await file('a', randomBytes(3 * MB)));
    const b = await read(await file('b', randomBytes(3 * MB + 12345)));
    expect(b.memory).toBe(a.memory);
  });

  it('gives reads at the same time buffers of their own', async () => {
    const contents = [randomBytes(2 * MB), randomBytes(3 * MB), randomBytes(4 * MB)];
    const targets = await Promise.all(contents.map((bytes, i) => file(`together-${i}`, bytes)));
    // Each read holds its bytes until all three are holding theirs.
    let holding = 0;
    let allHolding!: () => void;
    const together = new Promise<void>((resolve) => (allHolding = resolve));
    const seen = await Promise.all(targets.map((target) => withFileBytes(target, async (bytes) => {
      if (++holding === targets.length) allHolding();
      await together;
      return { copy: Buffer.from(bytes), memory: bytes.buffer };
    })));
    seen.forEach((result, i) => expect(result.copy.equals(contents[i]!)).toBe(true));
    expect(new Set(seen.map((result) => result.memory)).size).toBe(3);
  });

  it('reads a file larger than any kept buffer', async () => {
    const huge = randomBytes(17 * MB);
    expect((await read(await file('huge', huge))).copy.equals(huge)).toBe(true);
  });

  it('passes on what `use` throws and still reads the next file', async () => {
    const target = await file('thrown', randomBytes(100));
    await expect(withFileBytes(target, () => {
      throw new Error('walk failed');
    })).rejects.toThrow('walk failed');
    const after = randomBytes(200);
    expect((await read(await file('after', after))).copy.equals(after)).toBe(true);
  });

  it('fails for a file that is not there', async () => {
    await expect(read(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
