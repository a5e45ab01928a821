import { parse } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AskAboutImagesDocument, ImagesAnswerDocument, UploadImageDocument } from '../generated/graphql.js';
import { expectedImagesAnswer } from '../fake-qwen/index.js';
import { fitWithin } from '../../src/model/image-frame.js';
import { FIELD_COSTS, measureOperation } from '../../src/platform/graphql/limits/operation-cost.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { sha256, uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { MIME } from '../support/images.js';

// askAboutImages (issue 13, point 4): one question about several images,
// every image in one upstream request, in the order given; cached by (the
// ordered image hashes, normalized question, model). The fake endpoint
// records each image it decoded, in order, and answers from all of them.

let h: Harness;
let alice: GraphQLClient;
let bob: GraphQLClient;

async function clientFor(tenant: string, limits: { tokensPerDay?: number } = {}): Promise<GraphQLClient> {
  const { key } = await h.gateway.app.services.keys.create({ tenant, ...limits });
  return new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
}

beforeAll(async () => {
  h = await startHarness();
  alice = await clientFor('alice');
  bob = await clientFor('bob');
});
afterAll(() => h.close());
afterEach(() => {
  h.fake.setDelay(0);
  h.fake.reset();
});

let shade = 0;
const newImage = (client: GraphQLClient, width = 40, height = 30) =>
  uploadNew(client, { format: 'png', width, height, color: `#${(0x305070 + ++shade * 7919).toString(16).slice(-6)}` });

async function newImages(client: GraphQLClient, count: number) {
  const images = [];
  for (let i = 0; i < count; i++) images.push(await newImage(client, 20 + i, 10 + i));
  return images;
}

async function ask(client: GraphQLClient, imageIds: string[], question: string, refresh?: boolean) {
  const response = await client.request(AskAboutImagesDocument, { imageIds, question, refresh });
  expect(response.errors).toBeUndefined();
  return response.data!.askAboutImages;
}

describe('askAboutImages', () => {
  it('sends every image in one request, in the order given (each downscaled as for one image), and stores the answer', async () => {
    const small = await newImage(alice, 40, 30);
    const large = await uploadNew(alice, { format: 'jpeg', width: 2000, height: 1000, color: '#446688' });
    const tall = await newImage(alice, 20, 50);
    const answer = await ask(alice, [tall.id, large.id, small.id], '  Which   one is\tthe widest? ');

    expect(h.fake.requests).toHaveLength(1);
    const request = h.fake.requests[0]!;
    const sent = fitWithin(2000, 1000, 1_003_520);
    expect(request.images.map((image) => [image.width, image.height])).toEqual([[20, 50], [sent.width, sent.height], [40, 30]]);
    expect([request.images[0]!.sha256, request.images[2]!.sha256]).toEqual([sha256(tall.bytes), sha256(small.bytes)]);
    expect(request.messages.filter((message) => message.role !== 'system')).toEqual([{ role: 'user', text: 'Which one is the widest?', images: 3 }]);
    expect(answer).toMatchObject({
      images: [{ id: tall.id }, { id: large.id }, { id: small.id }],
      prompt: 'Which one is the widest?',
      answer: expectedImagesAnswer(request.images, 'Which one is the widest?'),
      model: 'qwen-vl-test',
      cached: false,
      usage: { promptTokens: 1010, completionTokens: 20, totalTokens: 1030, cachedTokens: 0 },
    });

    const read = await alice.request(ImagesAnswerDocument, { id: answer.id });
    expect(read.data!.imagesAnswer).toEqual({ ...answer, cached: true });
  });

  it('serves a repeat (the question normalized) from the cache with no upstream call; another order is another question', async () => {
    const [a, b] = await newImages(alice, 2);
    const first = await ask(alice, [a!.id, b!.id], 'Same or different?');
    const again = await ask(alice, [a!.id, b!.id], ' Same  or different? ');
    expect(h.fake.requests).toHaveLength(1);
    expect(again).toEqual({ ...first, cached: true });

    const reversed = await ask(alice, [b!.id, a!.id], 'Same or different?');
    expect(h.fake.requests).toHaveLength(2);
    expect(reversed.id).not.toBe(first.id);
    expect(reversed.images.map((image) => image.id)).toEqual([b!.id, a!.id]);
  });

  it('refresh: true asks again and replaces the stored answer', async () => {
    const [a, b] = await newImages(alice, 2);
    const first = await ask(alice, [a!.id, b!.id], 'Refresh me?');
    h.fake.inject({ kind: 'content', content: 'a fresh look' });
    const refreshed = await ask(alice, [a!.id, b!.id], 'Refresh me?', true);
    expect(h.fake.requests).toHaveLength(2);
    expect(refreshed).toMatchObject({ id: first.id, answer: 'a fresh look', cached: false });
    const read = await alice.request(ImagesAnswerDocument, { id: first.id });
    expect(read.data!.imagesAnswer!.answer).toBe('a fresh look');
  });

  it('shares one upstream call between concurrent identical asks', async () => {
    const [a, b, c] = await newImages(alice, 3);
    h.fake.setDelay(300);
    const answers = await Promise.all(Array.from({ length: 5 }, () => ask(alice, [a!.id, b!.id, c!.id], 'All at once?')));
    expect(h.fake.requests).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
    expect(answers.filter((answer) => !answer.cached)).toHaveLength(1);
  });

  it('is tenant-scoped: another tenant’s image is NOT_FOUND, its answers are unseen, and the same bytes are paid for per tenant', async () => {
    const [a, b] = await newImages(alice, 2);
    const mine = await newImage(bob);
    const foreign = await bob.request(AskAboutImagesDocument, { imageIds: [mine.id, a!.id], question: 'Whose?' });
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(foreign.errors![0]!.message).toContain(a!.id);

    const answer = await ask(alice, [a!.id, b!.id], 'Whose?');
    expect((await bob.request(ImagesAnswerDocument, { id: answer.id })).data!.imagesAnswer).toBeNull();

    // Bob's own copies of the same bytes: his own call and row (CACHE_SCOPE=tenant).
    const copies = [];
    for (const image of [a!, b!]) {
      const uploaded = await bob.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'copy.png', bytes: image.bytes, type: MIME.png } }]);
      copies.push(uploaded.data!.uploadImage.id);
    }
    const his = await ask(bob, copies, 'Whose?');
    expect(his).toMatchObject({ cached: false, answer: answer.answer, images: copies.map((id) => ({ id })) });
    expect(his.id).not.toBe(answer.id);
    expect(h.fake.requests).toHaveLength(2);
  });

  it('takes 2 to MAX_IMAGES_PER_QUESTION images, each once (BAD_USER_INPUT otherwise, before any upstream call)', async () => {
    const images = await newImages(alice, 9);
    const ids = images.map((image) => image.id);
    for (const [imageIds, message] of [
      [ids.slice(0, 1), /at least 2/],
      [ids, /at most 8 images \(MAX_IMAGES_PER_QUESTION\); 9/],
      [[ids[0]!, ids[1]!, ids[0]!], /named twice/],
    ] as const) {
      const response = await alice.request(AskAboutImagesDocument, { imageIds: [...imageIds], question: 'Bounds?' });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(message);
    }
    const empty = await alice.request(AskAboutImagesDocument, { imageIds: ids.slice(0, 2), question: '   ' });
    expect(errorCodes(empty)).toEqual(['BAD_USER_INPUT']);
    expect(h.fake.requests).toHaveLength(0);

    const eight = await ask(alice, ids.slice(0, 8), 'Bounds?');
    expect(eight.images).toHaveLength(8);
    expect(h.fake.requests[0]!.images).toHaveLength(8);
  });

  it('reserves the call’s tokens first: a budget that cannot cover it is RATE_LIMITED with no upstream call', async () => {
    const poor = await clientFor('poor', { tokensPerDay: 50 });
    const [a, b] = await newImages(poor, 2);
    const response = await poor.request(AskAboutImagesDocument, { imageIds: [a!.id, b!.id], question: 'Too dear?' });
    expect(errorCodes(response)).toEqual(['RATE_LIMITED']);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('counts as a model prompt in the operation’s cost and prompt limits', () => {
    const document = parse('mutation { a: askAboutImages(imageIds: ["x", "y"], question: "A?") { id } b: askAboutImages(imageIds: ["x", "y"], question: "B?") { id } }');
    const measure = measureOperation({ schema: h.gateway.app.schema, document }, { jobMaxItems: 100 });
    expect(measure.prompts).toBe(2);
    expect(measure.cost).toBeGreaterThanOrEqual(2 * FIELD_COSTS.model);
  });

  it('a model failure stores nothing, and the next ask calls again', async () => {
    const [a, b] = await newImages(alice, 2);
    h.fake.inject({ kind: 'status', status: 503 });
    const failed = await alice.request(AskAboutImagesDocument, { imageIds: [a!.id, b!.id], question: 'Fail once?' });
    expect(errorCodes(failed)).toEqual(['MODEL_UNAVAILABLE']);
    const answer = await ask(alice, [a!.id, b!.id], 'Fail once?');
    expect(answer.cached).toBe(false);
    expect(h.fake.requests).toHaveLength(2);
  });
});

describe('askAboutImages with CACHE_SCOPE=global', () => {
  it('serves another tenant’s answer for the same bytes in order, as a row of its own with no usage', async () => {
    const local = await startHarness({ env: { CACHE_SCOPE: 'global' } });
    try {
      const keyed = async (tenant: string) => new GraphQLClient(local.gateway.server.url, { authorization: `Bearer ${(await local.gateway.app.services.keys.create({ tenant })).key}` });
      const [carol, dave] = [await keyed('carol'), await keyed('dave')];
      const originals = [await uploadNew(carol, { format: 'png', width: 16, height: 12, color: '#102030' }), await uploadNew(carol, { format: 'png', width: 12, height: 16, color: '#302010' })];
      const first = await ask(carol, originals.map((image) => image.id), 'Shared?');
      const copies = [];
      for (const image of originals) {
        const uploaded = await dave.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'copy.png', bytes: image.bytes, type: MIME.png } }]);
        copies.push(uploaded.data!.uploadImage.id);
      }
      const lent = await ask(dave, copies, 'Shared?');
      expect(local.fake.requests).toHaveLength(1);
      expect(lent).toMatchObject({ cached: true, answer: first.answer, images: copies.map((id) => ({ id })), usage: { totalTokens: 0 } });
      expect(lent.id).not.toBe(first.id);
      expect((await dave.request(ImagesAnswerDocument, { id: lent.id })).data!.imagesAnswer!.id).toBe(lent.id);
    } finally {
      await local.close();
    }
  });
});
