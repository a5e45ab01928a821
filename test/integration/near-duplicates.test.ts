import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteImageDocument, NearDuplicatesDocument } from '../generated/graphql.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { nearDuplicateSet, type GeneratedImage, type NearDuplicateCase } from '../support/near-duplicate-set.js';
import { CLI_TEST_TIMEOUT, runCli } from '../support/operator-cli.js';
import { fingerprintOf, gridDifference, hammingDistance } from '../../src/modules/near-duplicates/fingerprint.js';

// Near-duplicate images (issue 26, point 1): a fingerprint per image, computed
// after the upload answered, and Image.nearDuplicates within the tenant.

let h: Harness;
let alice: GraphQLClient;
let bob: GraphQLClient;
let cases: NearDuplicateCase[];

const lastLine = (text: string) => text.trim().split('\n').at(-1)!;

async function keyFor(tenant: string): Promise<GraphQLClient> {
  const created = await runCli('keys', ['create', '--tenant', tenant], { DATA_DIR: h.gateway.dataDir });
  expect(created.code).toBe(0);
  return new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${lastLine(created.stdout)}` });
}

async function upload(client: GraphQLClient, image: GeneratedImage): Promise<string> {
  const response = await client.upload('mutation($file: Upload!) { uploadImage(file: $file) { id } }', { file: null }, [{ path: 'variables.file', file: { name: `${image.name}.bin`, bytes: image.bytes } }]);
  expect(response.errors).toBeUndefined();
  return (response.data as { uploadImage: { id: string } }).uploadImage.id;
}

async function nearDuplicates(client: GraphQLClient, id: string): Promise<string[]> {
  const response = await client.request(NearDuplicatesDocument, { id, first: 100 });
  expect(response.errors).toBeUndefined();
  return response.data!.image!.nearDuplicates.map((image) => image.id);
}

/** Uploads a case: the original, its variants and its negatives, each an image id by name. */
async function uploadCase(client: GraphQLClient, set: NearDuplicateCase) {
  const ids = async (images: GeneratedImage[]) => {
    const found = new Map<string, string>();
    for (const image of images) found.set(image.name, await upload(client, image));
    return found;
  };
  return { original: await upload(client, set.original), variants: await ids(set.variants), negatives: await ids(set.negatives) };
}

/** The order the issue asks for, worked out here from the images themselves: hash distance, then grid difference. */
async function nearestFirst(original: GeneratedImage, variants: GeneratedImage[], ids: Map<string, string>): Promise<string[]> {
  const own = await fingerprintOf(original.bytes);
  const measured = await Promise.all(variants.map(async (variant) => {
    const other = await fingerprintOf(variant.bytes);
    return { id: ids.get(variant.name)!, bits: hammingDistance(own.hash, other.hash), grid: gridDifference(own.grid, other.grid).mean };
  }));
  return measured.sort((a, b) => a.bits - b.bits || a.grid - b.grid || a.id.localeCompare(b.id)).map((m) => m.id);
}

beforeAll(async () => {
  h = await startHarness();
  [alice, bob] = await Promise.all([keyFor('alice'), keyFor('bob')]);
  cases = await nearDuplicateSet(1, 1);
}, CLI_TEST_TIMEOUT);
afterAll(() => h?.close());

describe('Image.nearDuplicates', () => {
  const uploaded: Array<Awaited<ReturnType<typeof uploadCase>>> = [];
  beforeAll(async () => {
    for (const set of cases) uploaded.push(await uploadCase(alice, set));
    // Fingerprints are computed after each upload answered: wait for the background queue to drain.
    await h.gateway.app.services.nearDuplicates.settled();
  }, CLI_TEST_TIMEOUT);

  it('lists a photo’s and a screenshot’s re-encodes, resizes, conversions and metadata changes, nearest first, and none of the crops, flips, colour edits or text changes', async () => {
    for (const [index, set] of cases.entries()) {
      const ids = uploaded[index]!;
      const found = await nearDuplicates(alice, ids.original);
      expect(found, set.original.name).toEqual(await nearestFirst(set.original, set.variants, ids.variants));
      expect(found).not.toContain(ids.original);
      for (const [name, id] of ids.negatives) expect(found, `${set.original.name}: ${name}`).not.toContain(id);
      // A negative is no near-duplicate of the original either way round.
      for (const id of ids.negatives.values()) expect(await nearDuplicates(alice, id)).not.toContain(ids.original);
    }
  });

  it('never lists another tenant’s images, even of the same bytes', async () => {
    const [photo] = cases;
    const bobOriginal = await upload(bob, photo!.original);
    const bobVariant = await upload(bob, photo!.variants[0]!);
    await h.gateway.app.services.nearDuplicates.settled();
    expect(await nearDuplicates(bob, bobOriginal)).toEqual([bobVariant]);
    const alices = await nearDuplicates(alice, uploaded[0]!.original);
    expect(alices).not.toContain(bobOriginal);
    expect(alices).not.toContain(bobVariant);
    // Bob's image is no image of Alice's: not even its id resolves for her.
    expect((await alice.request(NearDuplicatesDocument, { id: bobOriginal })).data!.image).toBeNull();
  });

  it('drops a deleted image', async () => {
    const { original, variants } = uploaded[0]!;
    const gone = variants.get('webp')!;
    expect(await nearDuplicates(alice, original)).toContain(gone);
    const deleted = await alice.request(DeleteImageDocument, { id: gone });
    expect(deleted.data!.deleteImage).toBe(true);
    expect(await nearDuplicates(alice, original)).not.toContain(gone);
  });

  it('refuses a page size out of range', async () => {
    expect(errorCodes(await alice.request(NearDuplicatesDocument, { id: uploaded[0]!.original, first: 0 }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('npm run fingerprints', () => {
  it('fills the rows stored before fingerprints existed', { timeout: CLI_TEST_TIMEOUT }, async () => {
    const [, screenshot] = cases;
    const carol = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${(await h.gateway.app.services.keys.create({ tenant: 'carol' })).key}` });
    const ids = await uploadCase(carol, screenshot!);
    await h.gateway.app.services.nearDuplicates.settled();
    // As rows from before the migration: no fingerprint at all.
    const db = new Database(path.join(h.gateway.dataDir, 'gateway.db'));
    const empty = () => (db.prepare('SELECT count(*) AS n FROM "Image" WHERE "fingerprintGrid" IS NULL').get() as { n: number }).n;
    try {
      db.prepare('UPDATE "Image" SET "hashBand0" = NULL, "hashBand1" = NULL, "hashBand2" = NULL, "hashBand3" = NULL, "fingerprintGrid" = NULL').run();
      const stored = (db.prepare('SELECT count(DISTINCT sha256) AS n FROM "Image"').get() as { n: number }).n;

      const run = await runCli('fingerprints', [], { DATA_DIR: h.gateway.dataDir });
      expect(run.code, run.stderr).toBe(0);
      expect(lastLine(run.stdout)).toBe(`fingerprinted ${stored} image(s)`);
      expect(empty()).toBe(0);
      // Only the image asked about gets a fingerprint lazily; its variants were filled by the CLI.
      expect(await nearDuplicates(carol, ids.original)).toEqual(await nearestFirst(screenshot!.original, screenshot!.variants, ids.variants));
      const again = await runCli('fingerprints', [], { DATA_DIR: h.gateway.dataDir });
      expect(lastLine(again.stdout)).toBe('fingerprinted 0 image(s)');
    } finally {
      db.close();
    }
  });
});
