import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, CaptionImageDocument, GetImageDocument, ImageInsightsDocument } from '../generated/graphql.js';
import type { Fault } from '../fake-qwen/index.js';
import { errorCodes } from '../support/client.js';
import { startGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { rm } from 'node:fs/promises';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { QWEN_TIMEOUT_MS: '400' } });
});
afterAll(() => h.close());
afterEach(() => {
  h.fake.reset();
  h.fake.setDefaultFault(null);
});

let counter = 0;
/** A new image per test so nothing is cached between cases. */
const freshImage = () => uploadNew(h.gateway.client, { format: 'png', width: 30 + (counter++ % 50), height: 30, color: `#${(0x100000 + counter * 997).toString(16).slice(-6)}` });

/** After a failure: nothing stored, and the same question succeeds once the endpoint recovers. */
async function expectRecovers(imageId: string, question: string) {
  const stored = await h.gateway.client.request(GetImageDocument, { id: imageId });
  expect(stored.data!.image!.questions).toEqual([]);
  h.fake.reset();
  const retry = await h.gateway.client.request(AskQuestionDocument, { imageId, question });
  expect(retry.errors).toBeUndefined();
  expect(retry.data!.askQuestion.cached).toBe(false);
}

describe('endpoint failures map to the contract codes', () => {
  it.each<[string, Fault, string]>([
    ['429', { kind: 'status', status: 429, retryAfter: '7' }, 'MODEL_RATE_LIMITED'],
    ['500', { kind: 'status', status: 500 }, 'MODEL_UNAVAILABLE'],
    ['503', { kind: 'status', status: 503 }, 'MODEL_UNAVAILABLE'],
    ['a content refusal (400 data_inspection_failed)', { kind: 'status', status: 400 }, 'MODEL_REJECTED'],
    ['a refused API key (401)', { kind: 'status', status: 401 }, 'MODEL_NOT_CONFIGURED'],
    ['a hang past QWEN_TIMEOUT_MS', { kind: 'hang' }, 'MODEL_UNAVAILABLE'],
    ['a connection reset', { kind: 'reset' }, 'MODEL_UNAVAILABLE'],
    ['a reset mid-body', { kind: 'reset-mid-body' }, 'MODEL_UNAVAILABLE'],
    ['a non-JSON body', { kind: 'garbage' }, 'MODEL_BAD_RESPONSE'],
    ['empty choices', { kind: 'empty-choices' }, 'MODEL_BAD_RESPONSE'],
    ['null content', { kind: 'content', content: null }, 'MODEL_BAD_RESPONSE'],
    ['an empty answer', { kind: 'content', content: '   ' }, 'MODEL_BAD_RESPONSE'],
  ])('%s → %s, nothing stored, and the next call succeeds', async (_name, fault, code) => {
    const image = await freshImage();
    h.fake.inject(fault);
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Fault?' });
    expect(errorCodes(response)).toEqual([code]);
    expect(response.errors![0]!.message).not.toMatch(/inappropriate|stack|at .*\.ts/);
    await expectRecovers(image.id, 'Fault?');
  });

  it('reports Retry-After as retryAfter seconds on MODEL_RATE_LIMITED', async () => {
    const image = await freshImage();
    h.fake.inject({ kind: 'status', status: 429, retryAfter: '7' });
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Later?' });
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'MODEL_RATE_LIMITED', retryAfter: 7 });
  });

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
    expect(errorCodes(failed!)).toEqual(Array(4).fill('MODEL_UNAVAILABLE'));
    expect(failed!.data!.image).toMatchObject({ id: broken.id, caption: null, a1: null, a2: null, a3: null });
    expect(succeeded!.data!.image!.a3!.answer).toMatch(/ :: C\?$/);
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
