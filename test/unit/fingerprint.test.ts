import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DECODE_SIDE, fingerprintOf, fingerprintOfPixels, gridDifference, gridsMatch, GRID_LIMITS, hammingDistance } from '../../src/modules/near-duplicates/fingerprint.js';
import { bandNeighbours, bandRadius, bandsOf, BANDS, hashOfBands } from '../../src/modules/near-duplicates/hash-bands.js';

/** A deterministic 64-bit value per index. */
const hashFor = (n: number) => BigInt.asUintN(64, BigInt(n + 1) * 0x9e3779b97f4a7c15n);

/** DECODE_SIDE² RGB pixels from a function of (x, y). */
function pixels(at: (x: number, y: number) => [number, number, number]): Uint8Array {
  const rgb = new Uint8Array(DECODE_SIDE * DECODE_SIDE * 3);
  for (let y = 0; y < DECODE_SIDE; y++) for (let x = 0; x < DECODE_SIDE; x++) rgb.set(at(x, y), (y * DECODE_SIDE + x) * 3);
  return rgb;
}

/** A smooth scene: diagonal shading and a bright disc off-centre. */
const scene = (x: number, y: number): [number, number, number] => {
  const disc = (x - 90) ** 2 + (y - 150) ** 2 < 45 ** 2 ? 90 : 0;
  const v = Math.min(255, 40 + ((x + y) * 120) / (2 * DECODE_SIDE) + disc);
  return [v, Math.min(255, v * 0.8 + 30), 200 - v / 3];
};

describe('hammingDistance', () => {
  it('counts the differing bits of two 64-bit hashes', () => {
    expect(hammingDistance(0n, 0n)).toBe(0);
    expect(hammingDistance(0n, (1n << 64n) - 1n)).toBe(64);
    expect(hammingDistance(0b1011n, 0b0110n)).toBe(3);
    expect(hammingDistance(1n << 63n, 0n)).toBe(1);
  });
});

describe('hash bands', () => {
  it('split a hash into four 16-bit bands and back', () => {
    for (let n = 0; n < 50; n++) {
      const hash = hashFor(n);
      const bands = bandsOf(hash);
      expect(bands).toHaveLength(BANDS);
      for (const band of bands) expect(band >= 0 && band < 1 << 16).toBe(true);
      expect(hashOfBands(bands)).toBe(hash);
    }
  });

  it('list every 16-bit value within the radius, once', () => {
    const neighbours = bandNeighbours(0xa5c3, 2);
    expect(neighbours).toHaveLength(1 + 16 + 120);
    expect(new Set(neighbours).size).toBe(neighbours.length);
    for (const value of neighbours) expect(hammingDistance(BigInt(value), 0xa5c3n)).toBeLessThanOrEqual(2);
    expect(bandNeighbours(7, 0)).toEqual([7]);
  });

  it('find every hash within the distance through some band (pigeonhole)', () => {
    for (const distance of [0, 3, 4, 10, 12, 16]) {
      const radius = bandRadius(distance);
      for (let n = 0; n < 40; n++) {
        const hash = hashFor(n);
        // Flip `distance` bits spread as evenly over the bands as possible: the hardest case.
        let other = hash;
        for (let i = 0; i < distance; i++) other ^= 1n << BigInt((i % BANDS) * 16 + Math.floor(i / BANDS) + (n % 4));
        expect(hammingDistance(hash, other)).toBe(distance);
        const near = bandsOf(hash).map((value) => new Set(bandNeighbours(value, radius)));
        expect(bandsOf(other).some((value, band) => near[band]!.has(value)), `distance ${distance}`).toBe(true);
      }
    }
  });
});

describe('fingerprints', () => {
  it('match the same scene, and tell a mirrored one by its hash', () => {
    const original = fingerprintOfPixels(pixels(scene));
    const mirrored = fingerprintOfPixels(pixels((x, y) => scene(DECODE_SIDE - 1 - x, y)));
    expect(hammingDistance(original.hash, fingerprintOfPixels(pixels(scene)).hash)).toBe(0);
    expect(hammingDistance(original.hash, mirrored.hash)).toBeGreaterThan(16);
  });

  it('tell a small local change (text) by the grid, where the hash barely moves', () => {
    const original = fingerprintOfPixels(pixels(scene));
    // A dark "word" of 40×12 pixels: a few of the 32×32 cells change a lot.
    const edited = fingerprintOfPixels(pixels((x, y) => (x >= 150 && x < 190 && y >= 40 && y < 52 && (x + y) % 3 === 0 ? [0, 0, 0] : scene(x, y))));
    // Within the default NEAR_DUPLICATE_DISTANCE (10): the hash alone would take it for a near-duplicate.
    expect(hammingDistance(original.hash, edited.hash)).toBeLessThanOrEqual(10);
    const difference = gridDifference(original.grid, edited.grid);
    expect(difference.mean).toBeLessThan(GRID_LIMITS.mean);
    expect(difference.local).toBeGreaterThan(GRID_LIMITS.local);
    expect(gridsMatch(original.grid, edited.grid)).toBe(false);
  });

  it('tell a brightness or colour edit by the grid', () => {
    const original = fingerprintOfPixels(pixels(scene));
    const brighter = fingerprintOfPixels(pixels((x, y) => scene(x, y).map((v) => Math.min(255, v + 20)) as [number, number, number]));
    const swapped = fingerprintOfPixels(pixels((x, y) => {
      const [r, g, b] = scene(x, y);
      return [b, g, r];
    }));
    expect(gridDifference(original.grid, brighter.grid).mean).toBeGreaterThan(GRID_LIMITS.mean);
    expect(gridDifference(original.grid, swapped.grid).colour).toBeGreaterThan(GRID_LIMITS.colour);
    expect(gridsMatch(original.grid, brighter.grid) || gridsMatch(original.grid, swapped.grid)).toBe(false);
  });

  it('are the same for an image decoded at another size and format', async () => {
    const png = await sharp(Buffer.from(pixels(scene)), { raw: { width: DECODE_SIDE, height: DECODE_SIDE, channels: 3 } }).resize(640, 480).png().toBuffer();
    const smallerJpeg = await sharp(png).resize(320).jpeg({ quality: 60 }).toBuffer();
    const [a, b] = await Promise.all([fingerprintOf(png), fingerprintOf(smallerJpeg)]);
    expect(hammingDistance(a.hash, b.hash)).toBeLessThanOrEqual(4);
    expect(gridsMatch(a.grid, b.grid)).toBe(true);
  });
});
