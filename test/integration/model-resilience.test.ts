import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, ImageInsightsDocument, ListQuestionsDocument } from '../generated/graphql.js';
import { startFakeQwen, type FakeQwen } from '../fake-qwen/index.js';
import { errorCodes } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';

/**
 * Upstream resilience through the real gateway: QWEN_FALLBACKS point at a
 * second fake endpoint, circuits open and half-open on real 503s, and
 * QWEN_DEADLINE_MS cuts a hanging endpoint short.
 */

const PRIMARY_MODEL = 'qwen-vl-test'; // the harness's QWEN_MODEL
const FALLBACK_MODEL = 'qwen-vl-fallback';

let counter = 0;
/** A new image per case so nothing is served from the cache. */
const freshImage = (h: Harness) =>
  uploadNew(h.gateway.client, { format: 'png', width: 24 + (counter++ % 40), height: 24, color: `#${(0x200000 + counter * 7919).toString(16).slice(-6)}` });

/** A gateway whose QWEN_FALLBACKS is one more fake (same key, its own model name). */
async function startWithFallback(env: Record<string, string>): Promise<{ h: Harness; fallback: FakeQwen }> {
  const fallback = await startFakeQwen({ apiKey: 'test-key' });
  const h = await startHarness({
    env: { QWEN_FALLBACKS: JSON.stringify([{ baseUrl: fallback.url, model: FALLBACK_MODEL }]), ...env },
  });
  return { h, fallback };
}

/** The primary endpoint's circuit, as the gateway_circuit_state gauge reports it. */
async function primaryCircuit(h: Harness): Promise<string> {
  const { values } = await h.gateway.app.metrics.circuitState.get();
  const value = values.find((v) => String(v.labels.endpoint).endsWith(`#${PRIMARY_MODEL}`))?.value;
  return (['closed', 'half-open', 'open'] as const)[value ?? -1] ?? 'unknown';
}

async function storedModels(h: Harness, imageId: string): Promise<string[]> {
  const stored = await h.gateway.client.request(ListQuestionsDocument, { filter: { imageId } });
  expect(stored.errors).toBeUndefined();
  return stored.data!.questions.edges.map((e) => e.node.model);
}

describe('fallbacks', () => {
  let h: Harness;
  let fallback: FakeQwen;
  beforeAll(async () => {
    // A circuit that cannot open here, so each case sees only its own fault.
    ({ h, fallback } = await startWithFallback({ CIRCUIT_MIN_REQUESTS: '1000' }));
  });
  afterAll(async () => {
    await h.close();
    await fallback.close();
  });
  afterEach(() => {
    for (const fake of [h.fake, fallback]) {
      fake.reset();
      fake.setDefaultFault(null);
    }
  });

  it('primary 503 → the fallback answers, and the answer is stored under the fallback’s model', async () => {
    const image = await freshImage(h);
    h.fake.inject({ kind: 'status', status: 503 });
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Who answers?' });
    expect(response.errors).toBeUndefined();
    expect(response.data!.askQuestion).toMatchObject({ model: FALLBACK_MODEL, cached: false, answer: expect.stringMatching(/ :: Who answers\?$/) });
    expect(h.fake.requests).toHaveLength(1);
    expect(fallback.requests).toHaveLength(1);
    expect(fallback.requests[0]!.model).toBe(FALLBACK_MODEL);
    expect(fallback.requests[0]!.authorization).toBe('Bearer test-key'); // inherited from the primary
    expect(await storedModels(h, image.id)).toEqual([FALLBACK_MODEL]);
  });

  it('a healthy primary answers alone, under its own model', async () => {
    const image = await freshImage(h);
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Primary?' });
    expect(response.data!.askQuestion.model).toBe(PRIMARY_MODEL);
    expect(fallback.requests).toHaveLength(0);
  });

  it('a packed call that fails on the primary goes to the fallback as one packed call', async () => {
    const image = await freshImage(h);
    h.fake.inject({ kind: 'status', status: 502 });
    const response = await h.gateway.client.request(ImageInsightsDocument, { id: image.id, q1: 'A?', q2: 'B?', q3: 'C?' });
    expect(response.errors).toBeUndefined();
    const insights = response.data!.image!;
    expect([insights.caption!.model, insights.a1!.model, insights.a2!.model, insights.a3!.model]).toEqual(Array(4).fill(FALLBACK_MODEL));
    expect(fallback.requests).toHaveLength(1);
    expect(fallback.requests[0]!.packed).toBe(true);
    expect(fallback.requests[0]!.prompts).toHaveLength(4);
  });

  it('primary 429 → the fallback answers (its quota is its own)', async () => {
    const image = await freshImage(h);
    h.fake.inject({ kind: 'status', status: 429, retryAfter: '30' });
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Throttled?' });
    expect(response.data!.askQuestion.model).toBe(FALLBACK_MODEL);
  });

  it('a content refusal (MODEL_REJECTED) is not sent to the fallback, and nothing is stored', async () => {
    const image = await freshImage(h);
    h.fake.inject({ kind: 'status', status: 400 });
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Refused?' });
    expect(errorCodes(response)).toEqual(['MODEL_REJECTED']);
    expect(fallback.requests).toHaveLength(0);
    expect(await storedModels(h, image.id)).toEqual([]);
  });

  it('a garbled reply (MODEL_BAD_RESPONSE) is not sent to the fallback', async () => {
    const image = await freshImage(h);
    h.fake.inject({ kind: 'garbage' });
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Garbled?' });
    expect(errorCodes(response)).toEqual(['MODEL_BAD_RESPONSE']);
    expect(fallback.requests).toHaveLength(0);
  });

  it('when both are down, fails with MODEL_UNAVAILABLE and stores nothing', async () => {
    const image = await freshImage(h);
    h.fake.inject({ kind: 'status', status: 503 });
    fallback.inject({ kind: 'status', status: 503 });
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Anyone?' });
    expect(errorCodes(response)).toEqual(['MODEL_UNAVAILABLE']);
    expect(await storedModels(h, image.id)).toEqual([]);
  });

  it('QWEN_DEADLINE_MS cuts a hanging primary short: MODEL_UNAVAILABLE "deadline exceeded", no fallback after it', async () => {
    // A gateway of its own: a deadline this short would also cut healthy calls on a busy machine.
    const local = await startWithFallback({ CIRCUIT_MIN_REQUESTS: '1000', QWEN_DEADLINE_MS: '800' });
    try {
      const image = await freshImage(local.h);
      local.h.fake.inject({ kind: 'hang' });
      const started = Date.now();
      const response = await local.h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Hanging?' });
      expect(Date.now() - started).toBeLessThan(30_000); // a backstop: only the deadline ends it before the 60 s attempt timeout
      expect(errorCodes(response)).toEqual(['MODEL_UNAVAILABLE']);
      expect(response.errors![0]!.message).toMatch(/deadline exceeded/);
      expect(local.fallback.requests).toHaveLength(0);
      expect(await storedModels(local.h, image.id)).toEqual([]);
    } finally {
      await local.h.close();
      await local.fallback.close();
    }
  });
});

describe('circuit breaker', () => {
  // Long enough that the checks made while it is open all run before it half-opens, even on a busy machine.
  const RESET_MS = 5_000;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { CIRCUIT_MIN_REQUESTS: '3', CIRCUIT_FAILURE_THRESHOLD: '50', CIRCUIT_RESET_MS: String(RESET_MS) } });
  });
  afterAll(() => h.close());

  it('opens after CIRCUIT_MIN_REQUESTS failures, fails fast without reaching the endpoint, and a probe after CIRCUIT_RESET_MS closes it', async () => {
    const image = await freshImage(h);
    h.fake.setDefaultFault({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) {
      const failed = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: `Down ${i}?` });
      expect(errorCodes(failed)).toEqual(['MODEL_UNAVAILABLE']);
      expect(failed.errors![0]!.message).toMatch(/HTTP 503/);
    }
    expect(h.fake.requests).toHaveLength(3);

    for (let i = 0; i < 3; i++) {
      const fast = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: `Fast ${i}?` });
      expect(errorCodes(fast)).toEqual(['MODEL_UNAVAILABLE']);
      expect(fast.errors![0]!.message).toMatch(/is failing.*tried again in \d+ s/);
      expect(fast.errors![0]!.extensions!.retryAfter).toBeGreaterThanOrEqual(1);
    }
    expect(h.fake.requests).toHaveLength(3); // the open circuit kept them from the endpoint

    await expect.poll(() => primaryCircuit(h), { timeout: 60_000, interval: 100 }).toBe('half-open');
    h.fake.setDefaultFault(null);
    const probe = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Probe?' });
    expect(probe.errors).toBeUndefined();
    expect(h.fake.requests).toHaveLength(4);

    const after = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Closed again?' });
    expect(after.errors).toBeUndefined();
    expect(h.fake.requests).toHaveLength(5);
  });
});

describe('circuit breaker with a fallback', () => {
  // Long enough that the checks made while it is open all run before it half-opens, even on a busy machine.
  const RESET_MS = 5_000;
  let h: Harness;
  let fallback: FakeQwen;
  beforeAll(async () => {
    ({ h, fallback } = await startWithFallback({ CIRCUIT_MIN_REQUESTS: '2', CIRCUIT_FAILURE_THRESHOLD: '50', CIRCUIT_RESET_MS: String(RESET_MS) }));
  });
  afterAll(async () => {
    await h.close();
    await fallback.close();
  });

  it('while the primary’s circuit is open, requests go straight to the fallback; after the reset a probe reaches the primary again', async () => {
    const image = await freshImage(h);
    h.fake.setDefaultFault({ kind: 'status', status: 503 });
    for (let i = 0; i < 5; i++) {
      const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: `Q${i}?` });
      expect(response.errors).toBeUndefined();
      expect(response.data!.askQuestion.model).toBe(FALLBACK_MODEL);
    }
    expect(h.fake.requests).toHaveLength(2); // opened after two failures
    expect(fallback.requests).toHaveLength(5);

    await expect.poll(() => primaryCircuit(h), { timeout: 60_000, interval: 100 }).toBe('half-open');
    h.fake.setDefaultFault(null);
    const probe = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Back?' });
    expect(probe.data!.askQuestion.model).toBe(PRIMARY_MODEL);
    expect(h.fake.requests).toHaveLength(3);
    expect(fallback.requests).toHaveLength(5);
  });
});
