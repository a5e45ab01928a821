import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CaptionImageDocument, GetImageDocument, ImageInsightsDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { startGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { rm } from 'node:fs/promises';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.fake.reset();
  h.fake.setDefaultFault(null);
});

let counter = 0;
/** A new image per test so nothing is cached between cases. */
const freshImage = () => uploadNew(h.gateway.client, { format: 'png', width: 30 + (counter++ % 50), height: 30, color: `#${(0x100000 + counter * 997).toString(16).slice(-6)}` });

// Each endpoint fault's code, clean message, nothing stored and recovery: bad-input.test.ts ('endpoint' cases).
describe('endpoint failures', () => {
  it('fails every prompt of a packed call with the call’s code, and other images still succeed', async () => {
    const broken = await freshImage();
    const fine = await freshImage();
    h.fake.inject({ kind: 'status', status: 500 });
    const [a, b] = await Promise.all([
      h.gateway.client.request(ImageInsightsDocument, { id: broken.id, q1: 'A?', q2: 'B?', q3: 'C?' }),
      h.gateway.client.request(ImageInsightsDocument, { id: fine.id, q1: 'A?', q2: 'B?', q3: 'C?' }),
    ]);
    const failed = [a, b].find((r) => r.errors);
    const succeeded = [a, b].find((r) => !r.errors);
    // Every prompt of the failed call fails at its own path; the image and its other fields survive.
    // (The fault hits whichever image's call reaches the endpoint first.)
    expect(errorCodes(failed!)).toEqual(Array(4).fill('MODEL_UNAVAILABLE'));
    const failedId = failed!.data!.image!.id;
    expect([broken.id, fine.id]).toContain(failedId);
    expect(failed!.data!.image).toMatchObject({ caption: null, a1: null, a2: null, a3: null });
    expect(succeeded!.data!.image!.a3!.answer).toMatch(/ :: C\?$/);
    // One packed call per image; the failed one stored nothing.
    expect(h.fake.requests.map((r) => r.prompts.length)).toEqual([4, 4]);
    expect((await h.gateway.client.request(GetImageDocument, { id: failedId })).data!.image).toMatchObject({ captions: [], questions: [] });
  });
});

describe('retries', () => {
  it('retries 429 (honouring Retry-After) and 5xx, then answers', async () => {
    const local = await startHarness({ env: { QWEN_MAX_RETRIES: '2' } });
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 40, height: 40 });
      local.fake.inject({ kind: 'status', status: 429, retryAfter: '0' }, { kind: 'status', status: 502 });
      const response = await local.gateway.client.request(CaptionImageDocument, { imageId: image.id });
      expect(response.errors).toBeUndefined();
      expect(local.fake.requests).toHaveLength(3);
    } finally {
      await local.close();
    }
  });

  it('does not retry a content refusal', async () => {
    const local = await startHarness({ env: { QWEN_MAX_RETRIES: '2' } });
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 40, height: 40 });
      local.fake.inject({ kind: 'status', status: 400 });
      const response = await local.gateway.client.request(CaptionImageDocument, { imageId: image.id });
      expect(errorCodes(response)).toEqual(['MODEL_REJECTED']);
      expect(local.fake.requests).toHaveLength(1);
    } finally {
      await local.close();
    }
  });
});

describe('no model configured', () => {
  it('still starts, uploads and reads, and explains which variables to set', async () => {
    const gateway = await startGateway({ env: { QWEN_API_KEY: '', DASHSCOPE_API_KEY: '', QWEN_BASE_URL: '' } });
    try {
      const image = await uploadNew(gateway.client, { format: 'png', width: 40, height: 40 });
      const read = await gateway.client.request(GetImageDocument, { id: image.id });
      expect(read.data!.image!.id).toBe(image.id);
      const response = await gateway.client.request(CaptionImageDocument, { imageId: image.id });
      expect(errorCodes(response)).toEqual(['MODEL_NOT_CONFIGURED']);
      expect(response.errors![0]!.message).toMatch(/QWEN_API_KEY/);
      expect(response.errors![0]!.message).toMatch(/QWEN_BASE_URL/);
    } finally {
      await gateway.stop();
      await rm(gateway.dataDir, { recursive: true, force: true });
    }
  });
});
