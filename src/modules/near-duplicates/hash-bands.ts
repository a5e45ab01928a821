/**
 * The lookup key of a fingerprint: its 64-bit hash split into four 16-bit
 * bands, each an indexed column (tenant, band). Chosen over scanning a
 * tenant's fingerprints in memory: that needs every replica to hold and keep
 * in step a copy of every tenant's hashes, while a band lookup is one indexed
 * query that sees deletions and other replicas' uploads at once, and costs
 * nothing on the answer path.
 *
 * Pigeonhole: two hashes at most `4r + 3` bits apart agree within `r` bits in
 * at least one band, so asking for every band value within `r` bits of the
 * image's own finds every candidate within the distance; the exact distance
 * and the grid are then checked on the few rows found.
 */
export const BANDS = 4;
const BAND_BITS = 16;
const BAND_MASK = (1n << BigInt(BAND_BITS)) - 1n;

export function bandsOf(hash: bigint): number[] {
  return Array.from({ length: BANDS }, (_, band) => Number((hash >> BigInt(band * BAND_BITS)) & BAND_MASK));
}

export function hashOfBands(bands: readonly number[]): bigint {
  return bands.reduce((hash, value, band) => hash | (BigInt(value) << BigInt(band * BAND_BITS)), 0n);
}

/** The per-band radius that finds every hash within `distance` bits. */
export function bandRadius(distance: number): number {
  return Math.max(0, Math.ceil((distance - (BANDS - 1)) / BANDS));
}

/** Every 16-bit value within `radius` bits of `value`, itself first. */
export function bandNeighbours(value: number, radius: number): number[] {
  const found = [value];
  const flip = (from: number, start: number, left: number) => {
    for (let bit = start; bit < BAND_BITS; bit++) {
      const next = from ^ (1 << bit);
      found.push(next);
      if (left > 1) flip(next, bit + 1, left - 1);
    }
  };
  if (radius > 0) flip(value, 0, radius);
  return found;
}
