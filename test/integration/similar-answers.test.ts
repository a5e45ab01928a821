import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLClient } from '../support/client.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { nearDuplicateSet, type GeneratedImage, type NearDuplicateCase } from '../support/near-duplicate-set.js';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { fakeEmbedding } from '../fake-qwen/index.js';
import { CLI_TEST_TIMEOUT, runCli } from '../support/operator-cli.js';

// Issue 26, points 2-4: answers served from a near-duplicate image's stored
// row (CACHE_SIMILAR_IMAGES) and from a similar question's (CACHE_SIMILAR_PROMPTS),
// each result saying how it was served (cacheMatch). Upstream calls are counted
// at the fake endpoint: chat completions and embeddings apart.

interface Match {
  kind: 'EXACT' | 'SIMILAR_IMAGE' | 'SIMILAR_PROMPT';
  sourceImageId: string | null;
  sourcePrompt: string;
  similarity: number;
}
interface Served {
  id: string;
  cached: boolean;
  cacheMatch: Match | null;
}

const MATCH = 'cacheMatch { kind sourceImageId sourcePrompt similarity }';
const CAPTION = `mutation($id: ID!, $refresh: Boolean, $match: CacheMatchMode) { captionImage(imageId: $id, refresh: $refresh, match: $match) { id cached text ${MATCH} } }`;
const ASK = `mutation($id: ID!, $q: String!, $refresh: Boolean, $match: CacheMatchMode) { askQuestion(imageId: $id, question: $q, refresh: $refresh, match: $match) { id cached prompt answer ${MATCH} } }`;
const MODERATION = `query($id: ID!) { image(id: $id) { moderation { id cached flagged ${MATCH} } } }`;
const EMBEDDING_MODEL = 'text-embedding-v4';
const SIMILAR_ON = { CACHE_SIMILAR_IMAGES: 'true', CACHE_SIMILAR_PROMPTS: 'true', QWEN_EMBEDDING_MODEL: EMBEDDING_MODEL };

let h: Harness;
let client: GraphQLClient;
let cases: NearDuplicateCase[];

async function upload(image: GeneratedImage, as = client): Promise<string> {
  const response = await as.upload('mutation($file: Upload!) { uploadImage(file: $file) { id } }', { file: null }, [{ path: 'variables.file', file: { name: `${image.name}.bin`, bytes: image.bytes } }]);
  expect(response.errors).toBeUndefined();
  return (response.data as { uploadImage: { id: string } }).uploadImage.id;
}

/** Uploads and waits for the background fingerprints: what CACHE_SIMILAR_IMAGES compares. */
async function uploadAll(images: GeneratedImage[]): Promise<string[]> {
  const ids: string[] = [];
  for (const image of images) ids.push(await upload(image));
  await h.gateway.app.services.nearDuplicates.settled();
  return ids;
}

async function ok<T>(query: string, variables: Record<string, unknown>, as = client): Promise<T> {
  const response = await as.request<T>(query, variables);
  expect(response.errors).toBeUndefined();
  return response.data!;
}

/** The result and the chat completions and embeddings requests it made upstream. */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; chats: number; embeddings: number }> {
  const chats = h.fake.requests.length;
  const embeddings = h.fake.embeddingRequests.length;
  const result = await work();
  return { result, chats: h.fake.requests.length - chats, embeddings: h.fake.embeddingRequests.length - embeddings };
}

const caption = (id: string, variables: Record<string, unknown> = {}, as = client) =>
  counted(async () => (await ok<{ captionImage: Served & { text: string } }>(CAPTION, { id, ...variables }, as)).captionImage);
const ask = (id: string, q: string, variables: Record<string, unknown> = {}) => counted(async () => (await ok<{ askQuestion: Served & { prompt: string; answer: string } }>(ASK, { id, q, ...variables })).askQuestion);
const moderation = (id: string) => counted(async () => (await ok<{ image: { moderation: Served } }>(MODERATION, { id })).image.moderation);

const named = (set: NearDuplicateCase, ...names: string[]) => names.map((name) => [...set.variants, ...set.negatives].find((image) => image.name === name)!);

beforeAll(async () => {
  h = await startHarness();
  client = h.gateway.client;
  cases = await nearDuplicateSet(2, 1);
}, 120_000);
afterAll(() => h?.close());

describe('configuration', () => {
  it('refuses CACHE_SIMILAR_PROMPTS without QWEN_EMBEDDING_MODEL, naming the variable', () => {
    expect(() => loadConfig({ CACHE_SIMILAR_PROMPTS: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ CACHE_SIMILAR_PROMPTS: 'true' })).toThrow(/QWEN_EMBEDDING_MODEL .*CACHE_SIMILAR_PROMPTS/);
    expect(() => loadConfig({ SIMILAR_PROMPT_THRESHOLD: '1.5' })).toThrow(/SIMILAR_PROMPT_THRESHOLD must be at most 1/);
    expect(loadConfig({ CACHE_SIMILAR_PROMPTS: 'true', QWEN_EMBEDDING_MODEL: EMBEDDING_MODEL }).similarAnswers.prompts).toEqual({ embeddingModel: EMBEDDING_MODEL, threshold: 0.95 });
  });
});

describe('off by default', () => {
  it('asks the model for a near-duplicate and for a reworded question; an exact repeat says EXACT', async () => {
    const set = cases[0]!;
    const [original, variant] = await uploadAll([set.original, ...named(set, 'jpeg-q70')]);
    const first = await caption(original!);
    expect(first).toMatchObject({ chats: 1, result: { cached: false, cacheMatch: null } });
    expect(await caption(variant!)).toMatchObject({ chats: 1, result: { cached: false, cacheMatch: null } });
    expect(await caption(original!)).toMatchObject({ chats: 0, result: { cached: true, cacheMatch: { kind: 'EXACT', sourceImageId: original, similarity: 1 } } });
    await ask(original!, 'What color is the car?');
    expect(await ask(original!, 'What is the color of the car?')).toMatchObject({ chats: 1, embeddings: 0, result: { cacheMatch: null } });
  });
});

describe('with CACHE_SIMILAR_IMAGES and CACHE_SIMILAR_PROMPTS', () => {
  beforeAll(async () => {
    await restartGateway(h, SIMILAR_ON);
    client = h.gateway.client;
  }, 60_000);

  describe('near-duplicate images', () => {
    const set = () => cases[1]!;
    let original: string;
    let variants: string[];
    beforeAll(async () => {
      original = (await uploadAll([set().original]))[0]!;
      expect((await caption(original)).chats).toBe(1);
      expect((await moderation(original)).chats).toBe(1);
      variants = await uploadAll(named(set(), 'jpeg-q50', 'resize-75', 'webp', 'exif-added', 'png'));
    }, 60_000);

    it('serves a caption of re-encodes, resizes and conversions from the original’s, stores it for each, and then serves that as EXACT', async () => {
      const stored = await caption(original);
      const holders = [original];
      for (const variant of variants.slice(0, 3)) {
        const served = await caption(variant);
        expect(served).toMatchObject({ chats: 0, result: { cached: true, text: stored.result.text, cacheMatch: { kind: 'SIMILAR_IMAGE', sourcePrompt: expect.any(String) } } });
        // The nearest image holding the caption: the original, or a variant that got its own copy before.
        expect(holders).toContain(served.result.cacheMatch!.sourceImageId);
        holders.push(variant);
        expect(served.result.cacheMatch!.similarity).toBeGreaterThan(0.8);
        expect(served.result.id).not.toBe(stored.result.id);
        expect(await caption(variant)).toMatchObject({ chats: 0, result: { id: served.result.id, cacheMatch: { kind: 'EXACT', sourceImageId: variant } } });
      }
    });

    it('serves a structured result (moderation) the same way', async () => {
      expect(await moderation(variants[1]!)).toMatchObject({ chats: 0, result: { cached: true, cacheMatch: { kind: 'SIMILAR_IMAGE', sourceImageId: original } } });
    });

    it('asks the model for crops, flips and colour edits', async () => {
      const negatives = await uploadAll(named(set(), 'crop-10-centre', 'crop-30', 'flip-horizontal', 'brighter', 'tinted'));
      for (const negative of negatives) expect(await caption(negative)).toMatchObject({ chats: 1, result: { cached: false, cacheMatch: null } });
    });

    it('asks the model for a screenshot that differs only in its text, and reuses a re-encode of it', async () => {
      const screenshot = cases[2]!;
      const [own, otherText, oneLine, reencoded] = await uploadAll([screenshot.original, ...named(screenshot, 'other-text', 'one-line-changed', 'jpeg-q70')]);
      expect((await caption(own!)).chats).toBe(1);
      expect(await caption(otherText!)).toMatchObject({ chats: 1, result: { cacheMatch: null } });
      expect(await caption(oneLine!)).toMatchObject({ chats: 1, result: { cacheMatch: null } });
      expect(await caption(reencoded!)).toMatchObject({ chats: 0, result: { cacheMatch: { kind: 'SIMILAR_IMAGE', sourceImageId: own } } });
    });

    it('asks the model on refresh: true and on match: EXACT_ONLY', async () => {
      expect(await caption(variants[3]!, { match: 'EXACT_ONLY' })).toMatchObject({ chats: 1, result: { cached: false, cacheMatch: null } });
      expect(await caption(variants[4]!, { refresh: true })).toMatchObject({ chats: 1, result: { cached: false, cacheMatch: null } });
    });

    it('asks the model while the new image has no fingerprint yet, rather than waiting for one', async () => {
      const [variant] = await uploadAll(named(set(), 'jpeg-q90'));
      // As while its background turn has not come (or was lost to a restart): no fingerprint stored.
      const db = new Database(path.join(h.gateway.dataDir, 'gateway.db'));
      try {
        db.prepare('UPDATE "Image" SET "fingerprintGrid" = NULL WHERE "id" = ?').run(variant);
      } finally {
        db.close();
      }
      expect(await caption(variant!)).toMatchObject({ chats: 1, result: { cacheMatch: null } });
    });
  });

  describe('similar questions', () => {
    let image: string;
    let other: string;
    beforeAll(async () => {
      [image, other] = (await uploadAll([cases[0]!.negatives[0]!, cases[1]!.negatives[1]!])) as [string, string];
    });

    it('embeds each new wording once, answers a paraphrase from the stored question, and stores the paraphrase with its own embedding', async () => {
      const first = await ask(image, 'What color is the car?');
      expect(first).toMatchObject({ chats: 1, embeddings: 1, result: { cacheMatch: null } });
      const paraphrase = await ask(image, 'What is the color of the car?');
      expect(paraphrase).toMatchObject({
        chats: 0,
        embeddings: 1,
        result: { cached: true, answer: first.result.answer, prompt: 'What is the color of the car?', cacheMatch: { kind: 'SIMILAR_PROMPT', sourceImageId: image, sourcePrompt: 'What color is the car?' } },
      });
      expect(paraphrase.result.cacheMatch!.similarity).toBeGreaterThanOrEqual(0.95);
      expect(await ask(image, 'What is the color of the car?')).toMatchObject({ chats: 0, embeddings: 0, result: { cacheMatch: { kind: 'EXACT' } } });
      expect(h.fake.embeddingRequests.at(-1)).toEqual({ model: EMBEDDING_MODEL, input: ['What is the color of the car?'] });
    });

    it('asks the model for a different question, and reuses a stored embedding of the same text on another image', async () => {
      expect(await ask(image, 'What color is the bus?')).toMatchObject({ chats: 1, embeddings: 1, result: { cacheMatch: null } });
      expect(await ask(other, 'What color is the car?')).toMatchObject({ chats: 1, embeddings: 0, result: { cacheMatch: null } });
    });

    it('asks the model on refresh: true and on match: EXACT_ONLY', async () => {
      expect(await ask(image, 'Tell me the color of the car', { match: 'EXACT_ONLY' })).toMatchObject({ chats: 1, result: { cacheMatch: null } });
      expect(await ask(image, 'What is the car color?', { refresh: true })).toMatchObject({ chats: 1, result: { cacheMatch: null } });
    });

    it('asks the model when the embeddings request fails, and stores the answer without an embedding', async () => {
      h.fake.failEmbeddings(500);
      try {
        // The same content words as the stored "What color is the car?": it would have matched.
        expect(await ask(image, 'Please tell me what color the car is')).toMatchObject({ chats: 1, embeddings: 1, result: { cached: false, cacheMatch: null } });
      } finally {
        h.fake.failEmbeddings(null);
      }
      expect(await ask(image, 'Please tell me what color the car is')).toMatchObject({ chats: 0, embeddings: 0, result: { cacheMatch: { kind: 'EXACT' } } });
    });

    it('matches by the fake’s deterministic embeddings: content words, not phrasing', () => {
      const cos = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
      expect(cos(fakeEmbedding('What color is the car?'), fakeEmbedding('What is the color of the car?'))).toBeCloseTo(1);
      expect(cos(fakeEmbedding('What color is the car?'), fakeEmbedding('What color is the bus?'))).toBeLessThan(0.95);
    });

    it('counts the embeddings’ tokens in usage (kind EMBEDDING)', async () => {
      const response = await client.request<{ usage: Array<{ kind: string; calls: number; promptTokens: number }> }>(
        'query { usage(groupBy: [KIND]) { kind calls promptTokens } }',
      );
      expect(response.errors).toBeUndefined();
      const embedding = response.data!.usage.find((bucket) => bucket.kind === 'EMBEDDING');
      expect(embedding).toMatchObject({ calls: 6 }); // the failed one too, billed nothing
      expect(embedding!.promptTokens).toBeGreaterThan(0);
    });
  });

  it('reports cache hits and what they saved by how they matched (Query.usage groupBy MATCH)', async () => {
    const response = await client.request<{ usage: Array<{ match: string | null; calls: number; cacheHits: number; tokensSaved: number }> }>(
      'query { usage(groupBy: [MATCH]) { match calls cacheHits tokensSaved } }',
    );
    expect(response.errors).toBeUndefined();
    const byMatch = new Map(response.data!.usage.map((bucket) => [bucket.match, bucket]));
    expect(byMatch.get(null)).toMatchObject({ cacheHits: 0, calls: h.fake.requests.length + h.fake.embeddingRequests.length });
    for (const kind of ['EXACT', 'SIMILAR_IMAGE', 'SIMILAR_PROMPT']) {
      expect(byMatch.get(kind), kind).toMatchObject({ calls: 0, cacheHits: expect.any(Number) });
      expect(byMatch.get(kind)!.cacheHits, kind).toBeGreaterThan(0);
      expect(byMatch.get(kind)!.tokensSaved, kind).toBeGreaterThan(0);
    }
    // Three captions of variants, a moderation and a re-encoded screenshot; one paraphrase.
    expect(byMatch.get('SIMILAR_IMAGE')!.cacheHits).toBe(5);
    expect(byMatch.get('SIMILAR_PROMPT')!.cacheHits).toBe(1);
  });

  it('counts cache hits by how they matched on /metrics', async () => {
    const text = await (await fetch(new URL('/metrics', h.gateway.server.url))).text();
    for (const kind of ['EXACT', 'SIMILAR_IMAGE', 'SIMILAR_PROMPT']) expect(text).toMatch(new RegExp(`gateway_answer_cache_hits_total\\{match="${kind}"\\} [1-9]`));
  });
});

// Last: once keys exist, the gateway requires one.
describe('across tenants', () => {
  const keys = new Map<string, string>();
  const as = (tenant: string) => new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${keys.get(tenant)!}` });
  beforeAll(async () => {
    for (const tenant of ['alice', 'bob', 'carol']) {
      const created = await runCli('keys', ['create', '--tenant', tenant], { DATA_DIR: h.gateway.dataDir });
      expect(created.code).toBe(0);
      keys.set(tenant, created.stdout.trim().split('\n').at(-1)!);
    }
  }, CLI_TEST_TIMEOUT);

  it('never serves one tenant another’s near-duplicate under CACHE_SCOPE=tenant; under global it does, without the other tenant’s image id', async () => {
    const [forAlice, forBob, forCarol] = named(cases[0]!, 'resize-150', 'resize-200', 'webp');
    const original = await upload(forAlice!, as('alice'));
    await h.gateway.app.services.nearDuplicates.settled();
    expect((await caption(original, {}, as('alice'))).chats).toBe(1);
    const bobs = await upload(forBob!, as('bob'));
    await h.gateway.app.services.nearDuplicates.settled();
    expect(await caption(bobs, {}, as('bob'))).toMatchObject({ chats: 1, result: { cacheMatch: null } });

    await restartGateway(h, { ...SIMILAR_ON, CACHE_SCOPE: 'global' });
    const carols = await upload(forCarol!, as('carol'));
    await h.gateway.app.services.nearDuplicates.settled();
    expect(await caption(carols, {}, as('carol'))).toMatchObject({ chats: 0, result: { cached: true, cacheMatch: { kind: 'SIMILAR_IMAGE', sourceImageId: null } } });
  }, CLI_TEST_TIMEOUT);
});
