import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModerateImageDocument, ReadImageTextDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';

// Structured replies from VL models (issue 23, point 6). DashScope documents
// json_schema for its text models, not the VL ones: a VL model may ignore it
// and wrap its JSON in prose and a ```json fence (the fake's `jsonInProse`).

describe('a VL model that ignores json_schema', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { jsonInProse: true } });
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());

  it('has the JSON read out of its prose and validated, in one billed request', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 52, height: 40, color: '#e01010' });
    const moderation = await h.gateway.client.request(ModerateImageDocument, { imageId: image.id });
    expect(moderation.errors).toBeUndefined();
    expect(moderation.data!.moderateImage).toMatchObject({ flagged: true, categories: ['VIOLENCE', 'GORE'], cached: false });
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.requests[0]!.responseFormat).toBe('json_schema');

    const text = await h.gateway.client.request(ReadImageTextDocument, { id: image.id });
    expect(text.errors).toBeUndefined();
    expect(text.data!.image!.text!.text).toMatch(/^TEXT 52x40/);
    expect(h.fake.requests).toHaveLength(2);
  });
});

describe('a 400 that is not about response_format', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());

  it.each(['input-too-long', 'image-too-small'] as const)('(%s) fails the structured prompt at once: no json_object retry', async (error) => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 30 + error.length, height: 30 });
    h.fake.inject({ kind: 'input-error', error });
    const response = await h.gateway.client.request(ModerateImageDocument, { imageId: image.id });
    expect(errorCodes(response)).toEqual(['MODEL_REJECTED']);
    expect(h.fake.requests.map((r) => r.responseFormat)).toEqual(['json_schema']);

    // json_schema was not given up on: the next structured prompt still goes with it.
    const retried = await h.gateway.client.request(ModerateImageDocument, { imageId: image.id });
    expect(retried.errors).toBeUndefined();
    expect(h.fake.requests.map((r) => r.responseFormat)).toEqual(['json_schema', 'json_schema']);
  });
});
