/**
 * 7. Near-duplicates (issue #26): how often the fingerprint misses a variant
 * of an image or matches an image it should not, on the generated set
 * (test/support/near-duplicate-set.ts), and what fingerprinting costs per
 * upload. Then the same set through the gateway: uploads, the background
 * queue drained, and Image.nearDuplicates of every original; and with
 * CACHE_SIMILAR_IMAGES=true, each original captioned, then every variant and
 * negative: how many variants the original's caption served (hit rate) and
 * how many negatives it served (false reuse).
 */
import { readFile } from 'node:fs/promises';
import { fingerprintOf, gridsMatch, hammingDistance, type Fingerprint } from '../../src/modules/near-duplicates/fingerprint.js';
import { nearDuplicateSet, type NearDuplicateCase } from '../../test/support/near-duplicate-set.js';
import { restartBenchGateway, startBenchGateway, type BenchGateway } from '../lib/gateway.js';
import type { Fixture } from '../lib/fixtures.js';
import { now, summarize, type LatencySummary } from '../lib/stats.js';

/** NEAR_DUPLICATE_DISTANCE's default: what the gateway runs with unless told otherwise. */
const DISTANCE = 10;

interface Rate {
  count: number;
  of: number;
  rate: number;
  /** By variant or negative name (crop-10-corner, jpeg-q30, other-text, different-photo...). */
  byKind: Record<string, number>;
}

export interface NearDupResult {
  set: { photos: number; screenshots: number; images: number };
  distance: number;
  misses: Rate;
  falseMatches: Rate;
  /** The 64-bit hash alone at the same distance, for comparison: what the grid check removes. */
  hashOnlyFalseMatches: Rate;
  fingerprintMs: { photo12mp: LatencySummary; setImage: LatencySummary };
  gateway: { uploads: number; drainAfterLastUploadMs: number; nearDuplicatesQuery: LatencySummary; agreesWithOffline: boolean };
  /** CACHE_SIMILAR_IMAGES=true: captions of variants and negatives after their original's. */
  reuse: ReuseResult;
}

interface ReuseResult {
  /** Variants asked of the model instead of served from a near-duplicate's caption. */
  misses: Rate;
  /** Negatives, and originals of other cases (different pictures), served another image's caption. */
  falseReuse: Rate;
  /** Upstream requests made for the variants and negatives, against one per image without reuse. */
  upstreamCalls: number;
  /** A caption served from a near-duplicate, end to end (the lookup and the copy stored for the new image). */
  servedLatency: LatencySummary;
  /** A caption the model made (the fake endpoint), for scale. */
  modelLatency: LatencySummary;
}

function rate(): Rate {
  return { count: 0, of: 0, rate: 0, byKind: {} };
}

function count(into: Rate, hit: boolean, kind: string): void {
  into.of++;
  if (!hit) return;
  into.count++;
  into.byKind[kind] = (into.byKind[kind] ?? 0) + 1;
}

const finish = (r: Rate): Rate => ({ ...r, rate: r.of === 0 ? 0 : Math.round((r.count / r.of) * 10_000) / 10_000 });

async function timed<T>(work: () => Promise<T>, into: number[]): Promise<T> {
  const started = now();
  const result = await work();
  into.push(now() - started);
  return result;
}

const UPLOAD = 'mutation($file: Upload!) { uploadImage(file: $file) { id } }';
const NEAR = 'query($id: ID!) { image(id: $id) { nearDuplicates(first: 100) { id } } }';
const CAPTION = 'mutation($id: ID!) { captionImage(imageId: $id) { cacheMatch { kind } } }';

interface UploadedCase {
  original: string;
  variants: string[];
  negatives: string[];
}

/** Restarts the gateway on the same data with CACHE_SIMILAR_IMAGES=true and captions each case: original, variants, negatives. */
async function measureReuse(gateway: BenchGateway, cases: NearDuplicateCase[], ids: Map<NearDuplicateCase, UploadedCase>): Promise<ReuseResult> {
  await restartBenchGateway(gateway, { CACHE_SIMILAR_IMAGES: 'true' });
  const misses = rate();
  const falseReuse = rate();
  const servedTimes: number[] = [];
  const modelTimes: number[] = [];
  let asked = 0;
  const caption = async (id: string): Promise<boolean> => {
    const started = now();
    const response = await gateway.client.request<{ captionImage: { cacheMatch: { kind: string } | null } }>(CAPTION, { id });
    if (response.errors || !response.data) throw new Error(`caption failed: ${JSON.stringify(response.errors)}`);
    const similar = response.data.captionImage.cacheMatch?.kind === 'SIMILAR_IMAGE';
    (similar ? servedTimes : modelTimes).push(now() - started);
    return similar;
  };
  for (const c of cases) {
    const { original, variants, negatives } = ids.get(c)!;
    // A different picture from every case captioned before it: never served their captions.
    count(falseReuse, await caption(original), `different-${c.kind}`);
    const afterOriginal = gateway.harness.fake.requests.length;
    for (const [i, id] of variants.entries()) count(misses, !(await caption(id)), c.variants[i]!.name);
    for (const [i, id] of negatives.entries()) count(falseReuse, await caption(id), c.negatives[i]!.name);
    asked += gateway.harness.fake.requests.length - afterOriginal;
  }
  return { misses: finish(misses), falseReuse: finish(falseReuse), upstreamCalls: asked, servedLatency: summarize(servedTimes), modelLatency: summarize(modelTimes) };
}

export async function runNearDup(photos: Fixture[], size: { photos: number; screenshots: number }, log: (line: string) => void): Promise<NearDupResult> {
  log(`  generating the set: ${size.photos} photos and ${size.screenshots} screenshots with their variants and negatives…`);
  const cases = await nearDuplicateSet(size.photos, size.screenshots);
  const setTimes: number[] = [];
  const fingerprints = new Map<NearDuplicateCase, { original: Fingerprint; variants: Fingerprint[]; negatives: Fingerprint[] }>();
  for (const c of cases) {
    const of = (bytes: Buffer) => timed(() => fingerprintOf(bytes), setTimes);
    fingerprints.set(c, { original: await of(c.original.bytes), variants: await Promise.all(c.variants.map((v) => of(v.bytes))), negatives: await Promise.all(c.negatives.map((n) => of(n.bytes))) });
  }
  const matches = (a: Fingerprint, b: Fingerprint) => hammingDistance(a.hash, b.hash) <= DISTANCE && gridsMatch(a.grid, b.grid);
  const hashMatches = (a: Fingerprint, b: Fingerprint) => hammingDistance(a.hash, b.hash) <= DISTANCE;
  const misses = rate();
  const falseMatches = rate();
  const hashOnly = rate();
  for (const c of cases) {
    const own = fingerprints.get(c)!;
    c.variants.forEach((variant, i) => count(misses, !matches(own.original, own.variants[i]!), variant.name));
    const judge = (other: Fingerprint, kind: string) => {
      count(falseMatches, matches(own.original, other), kind);
      count(hashOnly, hashMatches(own.original, other), kind);
    };
    c.negatives.forEach((negative, i) => judge(own.negatives[i]!, negative.name));
    // Every other case's images are different pictures.
    for (const other of cases) {
      if (other === c) continue;
      const theirs = fingerprints.get(other)!;
      for (const fingerprint of [theirs.original, ...theirs.variants, ...theirs.negatives]) judge(fingerprint, `different-${other.kind}`);
    }
  }

  log(`  fingerprinting ${photos.length} 12-megapixel photo(s)…`);
  const photoTimes: number[] = [];
  for (const photo of photos) {
    const bytes = await readFile(photo.path);
    await timed(() => fingerprintOf(bytes), photoTimes);
  }

  log('  the set through the gateway…');
  const gateway = await startBenchGateway();
  try {
    const ids = new Map<NearDuplicateCase, UploadedCase>();
    let uploads = 0;
    const upload = async (name: string, bytes: Buffer) => {
      const response = await gateway.client.upload<{ uploadImage: { id: string } }>(UPLOAD, { file: null }, [{ path: 'variables.file', file: { name, bytes } }]);
      if (response.errors || !response.data) throw new Error(`upload failed: ${JSON.stringify(response.errors)}`);
      uploads++;
      return response.data.uploadImage.id;
    };
    for (const c of cases) {
      const original = await upload(c.original.name, c.original.bytes);
      const variants: string[] = [];
      for (const v of c.variants) variants.push(await upload(v.name, v.bytes));
      const negatives: string[] = [];
      for (const n of c.negatives) negatives.push(await upload(n.name, n.bytes));
      ids.set(c, { original, variants, negatives });
    }
    const lastUpload = now();
    await gateway.harness.gateway.app.services.nearDuplicates.settled();
    const drainAfterLastUploadMs = Math.round(now() - lastUpload);
    const queryTimes: number[] = [];
    let agreesWithOffline = true;
    for (const c of cases) {
      const { original, variants } = ids.get(c)!;
      const response = await timed(() => gateway.client.request<{ image: { nearDuplicates: Array<{ id: string }> } }>(NEAR, { id: original }), queryTimes);
      const listed = new Set(response.data?.image.nearDuplicates.map((image) => image.id) ?? []);
      const own = fingerprints.get(c)!;
      const expected = new Set(variants.filter((_, i) => matches(own.original, own.variants[i]!)));
      // Offline only compares with this case's own images; the gateway compares with all, and other cases never match.
      if (listed.size !== expected.size || [...expected].some((id) => !listed.has(id))) agreesWithOffline = false;
    }
    const reuse = await measureReuse(gateway, cases, ids);
    return {
      set: { photos: size.photos, screenshots: size.screenshots, images: cases.reduce((n, c) => n + 1 + c.variants.length + c.negatives.length, 0) },
      distance: DISTANCE,
      misses: finish(misses),
      falseMatches: finish(falseMatches),
      hashOnlyFalseMatches: finish(hashOnly),
      fingerprintMs: { photo12mp: summarize(photoTimes), setImage: summarize(setTimes) },
      gateway: { uploads, drainAfterLastUploadMs, nearDuplicatesQuery: summarize(queryTimes), agreesWithOffline },
      reuse,
    };
  } finally {
    await gateway.close();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const kinds = (r: Rate) => Object.entries(r.byKind).map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none';

export function nearDupChecks(r: NearDupResult): Array<{ name: string; ok: boolean; detail: string }> {
  return [
    { name: 'near-duplicates: no variant missed on the generated set', ok: r.misses.count === 0, detail: `${r.misses.count} of ${r.misses.of} (${kinds(r.misses)})` },
    { name: 'near-duplicates: no false match on the generated set', ok: r.falseMatches.count === 0, detail: `${r.falseMatches.count} of ${r.falseMatches.of} (${kinds(r.falseMatches)})` },
    { name: 'near-duplicates: Image.nearDuplicates lists what the fingerprints say', ok: r.gateway.agreesWithOffline, detail: r.gateway.agreesWithOffline ? 'every original' : 'an original differed' },
    { name: 'CACHE_SIMILAR_IMAGES: no negative served another image’s caption', ok: r.reuse.falseReuse.count === 0, detail: `${r.reuse.falseReuse.count} of ${r.reuse.falseReuse.of} (${kinds(r.reuse.falseReuse)})` },
  ];
}

export function nearDupSummary(r: NearDupResult): string[] {
  const ms = (s: LatencySummary) => `${s.p50Ms} ms p50, ${s.p95Ms} ms p95`;
  return [
    `## 7. Near-duplicates — ${r.set.photos} photos and ${r.set.screenshots} screenshots, ${r.set.images} images, NEAR_DUPLICATE_DISTANCE=${r.distance}`,
    '',
    '| measure | count | rate | by kind |',
    '| --- | --- | --- | --- |',
    `| misses (variants not matched) | ${r.misses.count} / ${r.misses.of} | ${pct(r.misses.rate)} | ${kinds(r.misses)} |`,
    `| false matches (negatives and other pictures matched) | ${r.falseMatches.count} / ${r.falseMatches.of} | ${pct(r.falseMatches.rate)} | ${kinds(r.falseMatches)} |`,
    `| the 64-bit hash alone would falsely match | ${r.hashOnlyFalseMatches.count} / ${r.hashOnlyFalseMatches.of} | ${pct(r.hashOnlyFalseMatches.rate)} | ${kinds(r.hashOnlyFalseMatches)} |`,
    '',
    `With CACHE_SIMILAR_IMAGES=true, each original captioned first: ${r.reuse.misses.of - r.reuse.misses.count} of ${r.reuse.misses.of} variants served its caption (hit rate ${pct(1 - r.reuse.misses.rate)}; asked of the model: ${kinds(r.reuse.misses)}), ` +
      `${r.reuse.falseReuse.count} of ${r.reuse.falseReuse.of} negatives and other pictures falsely served one (${pct(r.reuse.falseReuse.rate)}); ${r.reuse.upstreamCalls} upstream calls for the ${r.reuse.misses.of + r.reuse.falseReuse.of - r.set.photos - r.set.screenshots} variants and negatives. ` +
      `A caption served from a near-duplicate ${ms(r.reuse.servedLatency)}; one the (fake) model made ${ms(r.reuse.modelLatency)}.`,
    '',
    `Fingerprint per upload (off the request path, one at a time in the background): 12-megapixel JPEG ${ms(r.fingerprintMs.photo12mp)}; 960×720 ${ms(r.fingerprintMs.setImage)}. Through the gateway: ${r.gateway.uploads} uploads, the queue drained ${r.gateway.drainAfterLastUploadMs} ms after the last one answered; Image.nearDuplicates ${ms(r.gateway.nearDuplicatesQuery)}.`,
    '',
  ];
}
