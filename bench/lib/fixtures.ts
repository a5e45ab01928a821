/**
 * Noisy JPEG fixtures, generated with sharp from pseudo-random pixels (never
 * committed). Generation is CPU-heavy (about a second per 12-megapixel
 * photo), so it runs in child processes — which also keeps sharp's memory out
 * of the RSS the upload benchmark measures — and the files are cached under
 * bench/results/.fixtures (gitignored) for the next run.
 */
import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** Bump when the generator changes, so old cached files are not reused. */
const GENERATOR_VERSION = 2;

export interface FixtureSpec {
  /** File name inside the fixture folder; encodes every parameter, so a cached file always matches. */
  name: string;
  width: number;
  height: number;
  seed: number;
  /** Noise amplitude (± levels); more noise, larger file. */
  amplitude: number;
  quality: number;
}

export interface Fixture extends FixtureSpec {
  path: string;
  bytes: number;
}

export const FIXTURE_DIR = fileURLToPath(new URL(`../results/.fixtures/v${GENERATOR_VERSION}/`, import.meta.url));

function spec(kind: string, width: number, height: number, seed: number, amplitude: number, quality = 90): FixtureSpec {
  return { name: `${kind}-${width}x${height}-s${seed}-a${amplitude}-q${quality}.jpg`, width, height, seed, amplitude, quality };
}

/**
 * Camera-sized photos: 4000×3000 (12 MP), quality 90. Amplitudes 12–24 give
 * 3–5 MB per file, like a phone photo.
 */
export function photoSpecs(count: number): FixtureSpec[] {
  return Array.from({ length: count }, (_, i) => spec('photo', 4000, 3000, 1000 + i, 12 + ((i * 5) % 13)));
}

/** Photos uploaded before each measured upload phase (never measured): they bring sharp/libvips and the allocator to a steady state. */
export function warmupPhotoSpecs(count: number): FixtureSpec[] {
  return Array.from({ length: count }, (_, i) => spec('photo', 4000, 3000, 2000 + i, 12 + ((i * 5) % 13)));
}

/**
 * Images for the model benchmarks, 512×384 (~60 kB). Under QWEN_MAX_PIXELS,
 * so the gateway sends them as they are. Small on purpose: the fake endpoint
 * decodes every image it receives with sharp (~20 ms at this size, ~55 ms at
 * 1024×768 on 2 cores), in this process, and that is the test double's cost,
 * not the gateway's. What is measured is batching, caching and jobs.
 */
export function smallSpecs(set: string, count: number): FixtureSpec[] {
  const base = [...set].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 100_000;
  return Array.from({ length: count }, (_, i) => spec(`small-${set}`, 512, 384, base * 1000 + i, 16));
}

/** Deterministic pseudo-random bytes, fast: AES-128-CTR over zeros, keyed by the seed. */
function randomBytesFor(seed: number, length: number): Buffer {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** Smooth random colour fields (a tiny random image upscaled) plus per-pixel noise: photo-like entropy. */
export async function noisyJpeg(s: FixtureSpec): Promise<Buffer> {
  const bw = Math.ceil(s.width / 50);
  const bh = Math.ceil(s.height / 50);
  const small = randomBytesFor(s.seed, bw * bh * 3);
  const pixels = await sharp(small, { raw: { width: bw, height: bh, channels: 3 } }).resize(s.width, s.height, { kernel: 'linear' }).raw().toBuffer();
  const noise = randomBytesFor(s.seed ^ 0x5eed, pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]! + (((noise[i]! - 128) * s.amplitude) >> 7);
    pixels[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return sharp(pixels, { raw: { width: s.width, height: s.height, channels: 3 } }).jpeg({ quality: s.quality }).toBuffer();
}

/** Writes one fixture atomically (a crash never leaves a half file that looks cached). */
export async function writeFixture(s: FixtureSpec, dir = FIXTURE_DIR): Promise<void> {
  const target = path.join(dir, s.name);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, await noisyJpeg(s));
  await rename(temp, target);
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}

const GENERATOR = fileURLToPath(new URL('./generate-fixtures.ts', import.meta.url));

/** Runs the generator in a child process on some specs. */
async function generateInChild(specs: FixtureSpec[]): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', GENERATOR, FIXTURE_DIR], { stdio: ['pipe', 'inherit', 'inherit'] });
  child.stdin.end(JSON.stringify(specs));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`fixture generator exited with ${code}`);
}

/** Ensures every fixture exists (generating missing ones, one child per core, at most 4), and returns them with sizes. */
export async function ensureFixtures(specs: FixtureSpec[], log: (line: string) => void): Promise<{ fixtures: Fixture[]; generated: number; generateMs: number }> {
  await mkdir(FIXTURE_DIR, { recursive: true });
  // Fixtures of older generator versions are never used again.
  const parent = path.dirname(path.resolve(FIXTURE_DIR));
  for (const entry of await readdir(parent)) if (/^v\d+$/.test(entry) && entry !== `v${GENERATOR_VERSION}`) await rm(path.join(parent, entry), { recursive: true, force: true });
  const missing: FixtureSpec[] = [];
  for (const s of specs) if ((await sizeOf(path.join(FIXTURE_DIR, s.name))) === null) missing.push(s);
  const started = performance.now();
  if (missing.length > 0) {
    const children = Math.max(1, Math.min(4, os.availableParallelism(), missing.length));
    log(`  generating ${missing.length} fixture image(s) in ${children} child process(es) (cached in ${path.relative(process.cwd(), FIXTURE_DIR)})…`);
    const shares = Array.from({ length: children }, (_, c) => missing.filter((_, i) => i % children === c));
    await Promise.all(shares.map(generateInChild));
  }
  const fixtures: Fixture[] = [];
  for (const s of specs) {
    const file = path.join(FIXTURE_DIR, s.name);
    const bytes = await sizeOf(file);
    if (bytes === null) throw new Error(`fixture ${s.name} is missing after generation`);
    fixtures.push({ ...s, path: file, bytes });
  }
  return { fixtures, generated: missing.length, generateMs: Math.round(performance.now() - started) };
}
