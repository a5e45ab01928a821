import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fitWithin } from '../../src/model/image-frame.js';
import {
  DetectionsDocument,
  ImageModerationDocument,
  ImageObjectsDocument,
  ImageVisionAndQuestionsDocument,
  ModerateImageDocument,
  ModerationsDocument,
  ReadImageTextDocument,
  TextsDocument,
} from '../generated/graphql.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { solidColorHex } from '../support/images.js';
import type { RecordedRequest } from '../fake-qwen/index.js';

// Moderation, text reading and object detection (issue 13, points 1-3, 5-7)
// against the fake endpoint, which answers json_schema requests with an
// instance derived from the image (test/fake-qwen/structured.ts).

/** Images above this many pixels are downscaled before they are sent: box mapping is exercised. */
const MAX_PIXELS = 10_000;

const jsonSchemaOf = (request: RecordedRequest) =>
  (request.body as { response_format?: { type: string; json_schema?: { name: string; strict: boolean; schema: Record<string, unknown> } } }).response_format;

/** A box's edges are within one sent pixel (mapped back) of the centre half of the image. */
function expectCentreBox(box: { x: number; y: number; width: number; height: number }, image: { width: number; height: number }) {
  const sent = fitWithin(image.width, image.height, MAX_PIXELS);
  const tx = image.width / sent.width + 0.5;
  const ty = image.height / sent.height + 0.5;
  expect(Math.abs(box.x - image.width / 4)).toBeLessThanOrEqual(tx);
  expect(Math.abs(box.y - image.height / 4)).toBeLessThanOrEqual(ty);
  expect(Math.abs(box.x + box.width - (image.width * 3) / 4)).toBeLessThanOrEqual(tx);
  expect(Math.abs(box.y + box.height - (image.height * 3) / 4)).toBeLessThanOrEqual(ty);
}

describe('vision results (Qwen2.5-VL conventions)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { QWEN_MAX_PIXELS: String(MAX_PIXELS), MODERATION_POLICY: 'Also flag cartoon violence.' } });
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());
  const client = () => h.gateway.client;

  it('moderates an image with a strict json_schema request, stores the verdict and serves it again from the cache', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 60, height: 40, color: '#e01010' });
    const first = await client().request(ModerateImageDocument, { imageId: image.id });
    expect(first.errors).toBeUndefined();
    const verdict = first.data!.moderateImage;
    expect(verdict).toMatchObject({
      flagged: true,
      categories: ['VIOLENCE', 'GORE'],
      rationale: `60x40 ${await solidColorHex(image.bytes)} looks like blood`,
      model: 'qwen-vl-test',
      cached: false,
      usage: { promptTokens: 1010, completionTokens: 20, totalTokens: 1030 },
      image: { id: image.id },
    });
    expect(h.fake.requests).toHaveLength(1);
    const sent = h.fake.requests[0]!;
    expect(sent.packed).toBe(false);
    const format = jsonSchemaOf(sent)!;
    expect(format).toMatchObject({ type: 'json_schema', json_schema: { name: 'moderation_v1', strict: true } });
    expect(format.json_schema!.schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['flagged', 'categories', 'rationale'] });
    // The categories of the issue and the operator's policy are in the instruction.
    expect(sent.prompts[0]).toContain('SELF_HARM');
    expect(sent.prompts[0]).toMatch(/Also flag cartoon violence\.$/);

    const again = await client().request(ImageModerationDocument, { id: image.id });
    expect(again.data!.image!.moderation).toMatchObject({ id: verdict.id, flagged: true, cached: true, usage: verdict.usage });
    expect(h.fake.requests).toHaveLength(1);

    const refreshed = await client().request(ModerateImageDocument, { imageId: image.id, refresh: true });
    expect(refreshed.data!.moderateImage).toMatchObject({ id: verdict.id, cached: false });
    expect(h.fake.requests).toHaveLength(2);
  });

  it('reads the text of an image, cached on repeat', async () => {
    const image = await uploadNew(client(), { format: 'jpeg', width: 80, height: 50, color: '#336699' });
    const first = await client().request(ReadImageTextDocument, { id: image.id });
    expect(first.errors).toBeUndefined();
    expect(first.data!.image!.text).toMatchObject({ text: `TEXT 80x50 ${await solidColorHex(image.bytes)}`, language: 'en', cached: false });
    expect(jsonSchemaOf(h.fake.requests[0]!)).toMatchObject({ type: 'json_schema', json_schema: { name: 'text_v1' } });
    const second = await client().request(ReadImageTextDocument, { id: image.id });
    expect(second.data!.image!.text).toMatchObject({ id: first.data!.image!.text!.id, cached: true });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('locates objects in absolute pixels of the downscaled image and maps the boxes back to the stored image', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 400, height: 200 });
    const response = await client().request(ImageObjectsDocument, { id: image.id });
    expect(response.errors).toBeUndefined();
    // The model saw the downscaled image...
    expect(h.fake.requests[0]!.image).toMatchObject(fitWithin(400, 200, MAX_PIXELS));
    const { objects } = response.data!.image!.objects!;
    expect(objects.map((o) => o.label)).toEqual(['object']);
    // ...and the box is in the stored image's pixels.
    expectCentreBox(objects[0]!.box, image);
  });

  it('finds the labels asked for, whatever their order or repetition, as one cache entry', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 90, height: 60 });
    const first = await client().request(ImageObjectsDocument, { id: image.id, labels: ['dog', ' cat '] });
    expect(first.errors).toBeUndefined();
    expect(first.data!.image!.objects!.objects.map((o) => o.label)).toEqual(['cat', 'dog']);
    const schema = jsonSchemaOf(h.fake.requests[0]!)!.json_schema!.schema as { properties: { objects: { items: { properties: { label: { enum: string[] } } } } } };
    expect(schema.properties.objects.items.properties.label.enum).toEqual(['cat', 'dog']);

    const same = await client().request(ImageObjectsDocument, { id: image.id, labels: ['cat', 'dog', 'cat'] });
    expect(same.data!.image!.objects).toMatchObject({ id: first.data!.image!.objects!.id, cached: true });
    expect(h.fake.requests).toHaveLength(1);

    const bad = await client().request(ImageObjectsDocument, { id: image.id, labels: ['  '] });
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('packs moderation, text and three questions about one image into one upstream call', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 70, height: 70, color: '#20a040' });
    const response = await client().request(ImageVisionAndQuestionsDocument, { id: image.id, q1: 'What colour?', q2: 'How big?', q3: 'Any people?' });
    expect(response.errors).toBeUndefined();
    expect(h.fake.requests).toHaveLength(1);
    const call = h.fake.requests[0]!;
    expect(call.packed).toBe(true);
    expect(call.prompts).toHaveLength(5);
    expect(call.messages[0]!.text).toContain('answered with that JSON object itself');
    const result = response.data!.image!;
    const about = `70x70 ${await solidColorHex(image.bytes)}`;
    expect(result.moderation).toMatchObject({ flagged: false, categories: [], rationale: `${about} nothing unsafe`, cached: false });
    expect(result.text).toMatchObject({ text: `TEXT ${about}`, language: 'en' });
    expect(result.a1!.answer).toBe(`${about} :: What colour?`);
    // The call's usage is split across its five results and sums to what was billed (1050 + 100).
    const usages = [result.moderation!, result.text!, result.a1, result.a2, result.a3].map((r) => r!.usage.totalTokens);
    expect(usages.reduce((a, b) => a + b, 0)).toBe(1150);

    const again = await client().request(ImageVisionAndQuestionsDocument, { id: image.id, q1: 'What colour?', q2: 'How big?', q3: 'Any people?' });
    expect(again.data!.image!.moderation!.cached).toBe(true);
    expect(again.data!.image!.a3!.cached).toBe(true);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('asks a packed structured answer that does not validate again alone, keeping the others of the call', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 71, height: 70 });
    const answers = [{ flagged: 'maybe' }, { text: 'OPEN 24H', language: null }, 'green', 'small', 'no'];
    h.fake.inject({ kind: 'content', content: JSON.stringify({ answers }) });
    const response = await client().request(ImageVisionAndQuestionsDocument, { id: image.id, q1: 'What colour?', q2: 'How big?', q3: 'Any people?' });
    expect(response.errors).toBeUndefined();
    const result = response.data!.image!;
    expect(result.text).toMatchObject({ text: 'OPEN 24H', language: null });
    expect([result.a1!.answer, result.a2!.answer, result.a3!.answer]).toEqual(['green', 'small', 'no']);
    expect(result.moderation).toMatchObject({ flagged: false, categories: [] });
    expect(h.fake.requests.map((r) => [r.packed, r.responseFormat])).toEqual([
      [true, null],
      [false, 'json_schema'],
    ]);
  });

  it('retries a reply that is not JSON once, then fails with MODEL_BAD_RESPONSE and stores nothing', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 30, height: 30 });
    h.fake.inject({ kind: 'content', content: 'I think it is fine.' }, { kind: 'content', content: '{"flagged": "no"' });
    const failed = await client().request(ModerateImageDocument, { imageId: image.id });
    expect(errorCodes(failed)).toEqual(['MODEL_BAD_RESPONSE']);
    expect(h.fake.requests).toHaveLength(2);
    const listed = await client().request(ModerationsDocument, { filter: { imageId: image.id } });
    expect(listed.data!.moderations.edges).toEqual([]);

    // One bad reply, then a good one: the retry succeeds and its usage carries both calls.
    h.fake.reset();
    h.fake.inject({ kind: 'content', content: '{"flagged": false, "categories": ["NUDITY"], "rationale": "wrong enum"}' });
    const retried = await client().request(ModerateImageDocument, { imageId: image.id });
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.moderateImage).toMatchObject({ flagged: false, cached: false, usage: { totalTokens: 2060 } });
    expect(h.fake.requests).toHaveLength(2);
  });

  it('fails a verdict with a category outside the enum twice', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 31, height: 30 });
    const wrong = { kind: 'content' as const, content: '{"flagged": true, "categories": ["NUDITY"], "rationale": "x"}' };
    h.fake.inject(wrong, wrong);
    const failed = await client().request(ImageModerationDocument, { id: image.id });
    expect(failed.data!.image!.moderation).toBeNull();
    expect(errorCodes(failed)).toEqual(['MODEL_BAD_RESPONSE']);
    expect(failed.errors![0]!.path).toEqual(['image', 'moderation']);
  });

  it('clamps boxes to the image and drops malformed entries, boxes outside it and negative sizes', async () => {
    // Within MAX_PIXELS and a multiple of 28 on each side: sent as is, and seen at that size too.
    const image = await uploadNew(client(), { format: 'png', width: 112, height: 84 });
    const objects = [
      { label: 'cat', bbox_2d: [-50, -50, 60, 60] }, // clamped to the top-left corner
      { label: 'cat', bbox_2d: [150, 10, 190, 40] }, // entirely outside
      { label: 'cat', bbox_2d: [80, 40, 30, 20] }, // negative width and height
      { label: 'cat', bbox_2d: [1, 2, 'x', 4] }, // not numbers
      { label: 'cat' }, // no box
      { label: 'horse', bbox_2d: [10, 10, 20, 20] }, // not a label asked for
      { label: 'CAT', bbox_2d: [90, 70, 130, 130] }, // clamped at the bottom-right
    ];
    h.fake.inject({ kind: 'content', content: '```json\n' + JSON.stringify({ objects }) + '\n```' });
    const response = await client().request(ImageObjectsDocument, { id: image.id, labels: ['cat'] });
    expect(response.errors).toBeUndefined();
    expect(response.data!.image!.objects!.objects).toEqual([
      { label: 'cat', box: { x: 0, y: 0, width: 60, height: 60 } },
      { label: 'cat', box: { x: 90, y: 70, width: 22, height: 14 } },
    ]);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('fails a detection reply without an objects list after one retry', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 101, height: 80 });
    const noList = { kind: 'content' as const, content: '{"boxes": []}' };
    h.fake.inject(noList, noList);
    const response = await client().request(ImageObjectsDocument, { id: image.id });
    expect(errorCodes(response)).toEqual(['MODEL_BAD_RESPONSE']);
    expect(h.fake.requests).toHaveLength(2);
    const listed = await client().request(DetectionsDocument, { filter: { imageId: image.id } });
    expect(listed.data!.detections.edges).toEqual([]);
  });

  it('lists stored results with filters and cursors', async () => {
    const red = await uploadNew(client(), { format: 'png', width: 40, height: 41, color: '#f00000' });
    const blue = await uploadNew(client(), { format: 'png', width: 40, height: 42, color: '#0000f0' });
    for (const image of [red, blue]) {
      const r = await client().request(ModerateImageDocument, { imageId: image.id });
      expect(r.errors).toBeUndefined();
    }
    await client().request(ReadImageTextDocument, { id: blue.id });
    await client().request(ImageObjectsDocument, { id: red.id, labels: ['apple'] });

    const idsOf = (r: { data?: { moderations: { edges: Array<{ node: { image: { id: string } } }> } } | null }) => r.data!.moderations.edges.map((e) => e.node.image.id);
    const flagged = await client().request(ModerationsDocument, { filter: { flagged: true, createdAfter: new Date(Date.now() - 60_000).toISOString() } });
    expect(idsOf(flagged)).toContain(red.id);
    expect(idsOf(flagged)).not.toContain(blue.id);
    const clean = await client().request(ModerationsDocument, { filter: { flagged: false } });
    expect(idsOf(clean)).toContain(blue.id);
    expect(idsOf(clean)).not.toContain(red.id);
    const gore = await client().request(ModerationsDocument, { filter: { category: 'GORE', imageId: red.id } });
    expect(idsOf(gore)).toEqual([red.id]);
    const hate = await client().request(ModerationsDocument, { filter: { category: 'HATE' } });
    expect(idsOf(hate)).toEqual([]);
    const byModel = await client().request(ModerationsDocument, { filter: { model: 'another-model' } });
    expect(idsOf(byModel)).toEqual([]);

    const page1 = await client().request(ModerationsDocument, { first: 1 });
    expect(page1.data!.moderations.pageInfo.hasNextPage).toBe(true);
    const page2 = await client().request(ModerationsDocument, { first: 1, after: page1.data!.moderations.pageInfo.endCursor });
    expect(page2.data!.moderations.edges[0]!.node.id).not.toBe(page1.data!.moderations.edges[0]!.node.id);

    const texts = await client().request(TextsDocument, { filter: { imageId: blue.id } });
    expect(texts.data!.texts.edges.map((e) => e.node.text)).toEqual([`TEXT 40x42 ${await solidColorHex(blue.bytes)}`]);
    const detections = await client().request(DetectionsDocument, { filter: { imageId: red.id } });
    expect(detections.data!.detections.edges[0]!.node.objects.map((o) => o.label)).toEqual(['apple']);
  });

  it('counts each vision field as a model prompt in the query limits', async () => {
    // 20 images × 3 vision fields = 60 prompts, over QUERY_MAX_PROMPTS (50): refused before anything runs.
    const response = await client().request('{ images(first: 20) { edges { node { moderation { flagged } text { text } objects { id } } } } }');
    expect(errorCodes(response)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('vision results (Qwen3-VL conventions)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { QWEN_MODEL: 'qwen3-vl-plus', QWEN_MAX_PIXELS: String(MAX_PIXELS) } });
  });
  afterAll(() => h.close());

  it('reads boxes scaled to 0..1000 by model name (QWEN_BOX_FORMAT=auto)', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 400, height: 200 });
    const response = await h.gateway.client.request(ImageObjectsDocument, { id: image.id });
    expect(response.errors).toBeUndefined();
    expect(response.data!.image!.objects!.objects[0]!.box).toEqual({ x: 100, y: 50, width: 200, height: 100 });
  });
});

describe('an endpoint without json_schema', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { rejectJsonSchema: true } });
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());

  it('falls back to json_object with the schema in the instruction, and remembers it', async () => {
    const first = await uploadNew(h.gateway.client, { format: 'png', width: 50, height: 50 });
    const response = await h.gateway.client.request(ModerateImageDocument, { imageId: first.id });
    expect(response.errors).toBeUndefined();
    expect(response.data!.moderateImage.flagged).toBe(false);
    expect(h.fake.requests.map((r) => r.responseFormat)).toEqual(['json_schema', 'json_object']);
    expect(h.fake.requests[1]!.prompts[0]).toContain('matching this JSON schema: {"title":"moderation_v1"');

    const second = await uploadNew(h.gateway.client, { format: 'png', width: 51, height: 50 });
    const text = await h.gateway.client.request(ReadImageTextDocument, { id: second.id });
    expect(text.errors).toBeUndefined();
    expect(h.fake.requests.map((r) => r.responseFormat)).toEqual(['json_schema', 'json_object', 'json_object']);
    expect(await jsonObjectRequests(h)).toBe(2);

    // Stored per endpoint and model: after a restart the first structured prompt goes as json_object at once.
    await restartGateway(h);
    h.fake.reset();
    const third = await uploadNew(h.gateway.client, { format: 'png', width: 52, height: 50 });
    expect((await h.gateway.client.request(ModerateImageDocument, { imageId: third.id })).errors).toBeUndefined();
    expect(h.fake.requests.map((r) => r.responseFormat)).toEqual(['json_object']);
    expect(await jsonObjectRequests(h)).toBe(1);
  });
});

/** gateway_json_object_requests_total from GET /metrics, summed over its series. */
async function jsonObjectRequests(h: Harness): Promise<number> {
  const text = await (await fetch(new URL('/metrics', h.gateway.server.url))).text();
  const lines = text.split('\n').filter((line) => line.startsWith('gateway_json_object_requests_total{'));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('tenants', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('keeps each tenant to its own verdicts: no shared cache, no reading or moderating another tenant’s image', async () => {
    const keys = h.gateway.app.services.keys;
    const as = async (tenant: string) => new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${(await keys.create({ tenant })).key}` });
    const alice = await as('alice');
    const bob = await as('bob');
    const options = { format: 'png' as const, width: 33, height: 33, color: '#d01010' };
    const aliceImage = await uploadNew(alice, options);
    const bobImage = await uploadNew(bob, options);

    const a = await alice.request(ModerateImageDocument, { imageId: aliceImage.id });
    expect(a.data!.moderateImage.cached).toBe(false);
    const b = await bob.request(ModerateImageDocument, { imageId: bobImage.id });
    expect(b.data!.moderateImage.cached).toBe(false); // the same bytes, but another tenant: asked again
    expect(h.fake.requests).toHaveLength(2);

    expect(errorCodes(await bob.request(ModerateImageDocument, { imageId: aliceImage.id }))).toEqual(['NOT_FOUND']);
    const bobsList = await bob.request(ModerationsDocument, {});
    expect(bobsList.data!.moderations.edges.map((e) => e.node.id)).toEqual([b.data!.moderateImage.id]);
    expect(h.fake.requests).toHaveLength(2);
  });
});
