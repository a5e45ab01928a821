import sharp from 'sharp';

/**
 * A perceptual fingerprint: what stays the same when an image is re-encoded,
 * resized, converted or has its metadata changed, and changes when it is
 * cropped, flipped, recoloured or has different text.
 *
 * Two parts from one small decode (256×256, EXIF orientation applied, alpha on
 * white, averaged down to 32×32):
 * - `hash`: the 64-bit DCT hash (pHash): the low 8×8 frequencies of the
 *   luma, each bit "above the median". Cheap to compare (Hamming distance) and
 *   the key of the lookup (near-duplicate-index.ts), but blind to what is
 *   small: two screenshots that differ only in their text have nearly the same one.
 * - `grid`: the 32×32 luma block means and 8×8 chroma (Cb, Cr) block means,
 *   compared with a tight threshold (`gridsMatch`): text, small edits and
 *   colour changes move it, encoders and scalers do not.
 *
 * Written here rather than taken from npm: sharp-phash (the maintained one on
 * sharp) decodes the image itself and returns only the hash, so the grid would
 * need a second decode; its DCT is also the naive O(N⁴) one.
 */
export interface Fingerprint {
  hash: bigint;
  grid: Uint8Array;
}

const SIDE = 32;
/** Decoded at 8× the grid, then averaged in 8×8 blocks: true area means, which resamplers' own kernels are not (text aliases through them). */
export const DECODE_SIDE = SIDE * 8;
const LOW = 8;
const CHROMA_SIDE = 8;
/** Luma cells, then Cb cells, then Cr cells. */
export const GRID_BYTES = SIDE * SIDE + 2 * CHROMA_SIDE * CHROMA_SIDE;

/** Decodes only as much as a 256×256 thumbnail needs (libvips shrinks JPEG and WebP on load). */
export async function fingerprintOf(input: string | Buffer): Promise<Fingerprint> {
  const data = await sharp(input, { failOn: 'none', limitInputPixels: false })
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .resize(DECODE_SIDE, DECODE_SIDE, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .raw()
    .toBuffer();
  return fingerprintOfPixels(data);
}

/** From DECODE_SIDE × DECODE_SIDE RGB pixels (row-major, 3 bytes each). */
export function fingerprintOfPixels(rgb: Uint8Array): Fingerprint {
  const block = DECODE_SIDE / SIDE;
  const luma = new Float64Array(SIDE * SIDE);
  const cb = new Float64Array(CHROMA_SIDE * CHROMA_SIDE);
  const cr = new Float64Array(CHROMA_SIDE * CHROMA_SIDE);
  const perLumaCell = block * block;
  const perChromaCell = (DECODE_SIDE / CHROMA_SIDE) ** 2;
  for (let y = 0; y < DECODE_SIDE; y++) {
    for (let x = 0; x < DECODE_SIDE; x++) {
      const at = (y * DECODE_SIDE + x) * 3;
      const r = rgb[at]!;
      const g = rgb[at + 1]!;
      const b = rgb[at + 2]!;
      luma[Math.floor(y / block) * SIDE + Math.floor(x / block)]! += (0.299 * r + 0.587 * g + 0.114 * b) / perLumaCell;
      const cell = Math.floor((y * CHROMA_SIDE) / DECODE_SIDE) * CHROMA_SIDE + Math.floor((x * CHROMA_SIDE) / DECODE_SIDE);
      cb[cell]! += (128 - 0.168736 * r - 0.331264 * g + 0.5 * b) / perChromaCell;
      cr[cell]! += (128 + 0.5 * r - 0.418688 * g - 0.081312 * b) / perChromaCell;
    }
  }
  const grid = new Uint8Array(GRID_BYTES);
  grid.set([...luma, ...cb, ...cr].map(Math.round));
  return { hash: dctHash(luma), grid };
}

/** Cosines of the 1-D DCT-II, [frequency][sample]; only the low frequencies the hash keeps. */
const COSINES = Array.from({ length: LOW + 1 }, (_, u) => Array.from({ length: SIDE }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * SIDE))));

/**
 * Separable 2-D DCT of the luma, frequencies 1..8 in each direction (the DC
 * row and column carry brightness, not structure), one bit per coefficient:
 * above the median of the 64.
 */
function dctHash(luma: Float64Array): bigint {
  // Rows first: for each image row, its low horizontal frequencies.
  const rows = Array.from({ length: SIDE }, (_, y) => COSINES.slice(1).map((cos) => cos.reduce((sum, c, x) => sum + c * luma[y * SIDE + x]!, 0)));
  const coefficients: number[] = [];
  for (const cos of COSINES.slice(1)) {
    for (let v = 0; v < LOW; v++) coefficients.push(cos.reduce((sum, c, y) => sum + c * rows[y]![v]!, 0));
  }
  const median = [...coefficients].sort((a, b) => a - b)[LOW * LOW / 2]!;
  return coefficients.reduce((hash, value, bit) => (value > median ? hash | (1n << BigInt(bit)) : hash), 0n);
}

/** Differing bits of two 64-bit hashes. */
export function hammingDistance(a: bigint, b: bigint): number {
  let x = BigInt.asUintN(64, a ^ b);
  let count = 0;
  while (x !== 0n) {
    x &= x - 1n;
    count++;
  }
  return count;
}

const LUMA_CELLS = SIDE * SIDE;

/** How far apart two grids are, in the three numbers `gridsMatch` judges (levels of 255). */
export interface GridDifference {
  /** Mean absolute difference over every cell, luma and chroma: global edits (brightness, colour). */
  mean: number;
  /** The largest luma cell difference once the mean shift is taken out: local edits (text, a pasted patch). */
  local: number;
  /** The largest chroma cell difference: a recoloured part, even of a mostly grey screenshot. */
  colour: number;
}

export function gridDifference(a: Uint8Array, b: Uint8Array): GridDifference {
  let sum = 0;
  let lumaShift = 0;
  let colour = 0;
  for (let i = 0; i < GRID_BYTES; i++) {
    const d = a[i]! - b[i]!;
    sum += Math.abs(d);
    if (i < LUMA_CELLS) lumaShift += d;
    else colour = Math.max(colour, Math.abs(d));
  }
  lumaShift /= LUMA_CELLS;
  let local = 0;
  for (let i = 0; i < LUMA_CELLS; i++) local = Math.max(local, Math.abs(a[i]! - b[i]! - lumaShift));
  return { mean: sum / GRID_BYTES, local, colour };
}

/**
 * Calibrated on the generated set (docs/near-duplicates.md): its variants
 * (down to JPEG quality 30, 50–200 % resizes, WebP) stay under about 2 / 5 / 2,
 * its nearest negatives (one changed line of small text, a recoloured title
 * bar, +25 % brightness) start at about 4.5 / 19 / 20.
 */
export const GRID_LIMITS: GridDifference = { mean: 3, local: 12, colour: 10 };

export function gridsMatch(a: Uint8Array, b: Uint8Array): boolean {
  const difference = gridDifference(a, b);
  return difference.mean <= GRID_LIMITS.mean && difference.local <= GRID_LIMITS.local && difference.colour <= GRID_LIMITS.colour;
}
