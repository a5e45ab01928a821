import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AnswerStreamDocument, AskQuestionDocument, ImageObjectsDocument, JobCompletedDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import { BILLING_ERRORS, startFakeQwen, type BillingCode, type FakeQwen } from '../fake-qwen/index.js';
import { collect, errorCodes, wsClient, type GraphQLClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';
import { captureLogs } from '../support/log-capture.js';
import { qwenProviderOn } from '../support/qwen-provider.js';

// The real Qwen endpoint's behaviour (issue 23, points 1, 4, 7, 8) against the
// fake, which now speaks DashScope's documented shapes: boxes in the frame
// the model saw, billing refusals with their real statuses, error events
// inside a stream, and the max_tokens range 400.

let shade = 0;
const nextColor = () => `#${(0x402010 + ++shade * 7919).toString(16).slice(-6)}`;
const upload = (client: GraphQLClient, width: number, height: number) => uploadNew(client, { format: 'png', width, height, color: nextColor() });

/** Five questions about one image in one GraphQL request: the gateway packs them. */
async function askFive(client: GraphQLClient, imageId: string) {
  const aliases = Array.from({ length: 5 }, (_, i) => `q${i}: answer(question: "Question ${i + 1}?") { answer }`);
  return client.request<{ image: Record<string, { answer: string } | null> }>(`query($id: ID!) { image(id: $id) { ${aliases.join(' ')} } }`, { id: imageId });
}

const maxTokensOf = (fake: FakeQwen) => fake.requests.map((r) => (r.body as { max_tokens?: number }).max_tokens);

/** The fake answers the centre half of the image (a quarter to three quarters of each side): within a pixel, mapped back. */
function expectCentreBox(box: { x: number; y: number; width: number; height: number }, image: { width: number; height: number }) {
  expect(Math.abs(box.x - image.width / 4)).toBeLessThanOrEqual(1);
  expect(Math.abs(box.y - image.height / 4)).toBeLessThanOrEqual(1);
  expect(Math.abs(box.x + box.width - (image.width * 3) / 4)).toBeLessThanOrEqual(1);
  expect(Math.abs(box.y + box.height - (image.height * 3) / 4)).toBeLessThanOrEqual(1);
}

describe('boxes from a Qwen2.5-VL model (qwen-vl-max), in the frame the endpoint resized the image to', () => {
  for (const highResolution of [false, true]) {
    describe(highResolution ? 'with QWEN_HIGH_RESOLUTION_IMAGES' : 'at the default pixel limit', () => {
      let h: Harness;
      beforeAll(async () => {
        h = await startHarness({
          env: { QWEN_MODEL: 'qwen-vl-max', QWEN_MAX_PIXELS: '4000000', ...(highResolution ? { QWEN_HIGH_RESOLUTION_IMAGES: 'true' } : {}) },
        });
      });
      afterAll(() => h.close());
      afterEach(() => h.fake.reset());

      // 720×477 is seen as 728×476, 100×60 as 112×56; 3013×1561 is sent at 2778×1439 and seen at
      // 1372×700 (2772×1428 with high resolution). Mapped by the sent size, each came back off.
      for (const [width, height] of [[720, 477], [100, 60], [3013, 1561]] as const) {
        it(`maps a ${width}×${height} image's boxes back to its own pixels`, async () => {
          const image = await upload(h.gateway.client, width, height);
          const response = await h.gateway.client.request(ImageObjectsDocument, { id: image.id });
          expect(response.errors).toBeUndefined();
          const sent = h.fake.requests[0]!;
          expect((sent.body as { vl_high_resolution_images?: boolean }).vl_high_resolution_images).toBe(highResolution ? true : undefined);
          expectCentreBox(response.data!.image!.objects!.objects[0]!.box, image);
        });
      }
    });
  }
});

describe('billing refusals (MODEL_QUOTA_EXHAUSTED)', () => {
  it('are each one request, never retried by the SDK as a rate limit, and carry the provider\'s message', async () => {
    const fake = await startFakeQwen();
    try {
      const { provider, metrics } = qwenProviderOn(fake, { maxRetries: 2 });
      const image = { mimeType: 'image/png', width: 8, height: 8, data: await makeImage({ format: 'png', width: 8, height: 8 }) };
      for (const code of Object.keys(BILLING_ERRORS) as BillingCode[]) {
        fake.reset();
        fake.inject({ kind: 'billing', code });
        const [result] = await provider.answer(image, ['Anything?']);
        expect(result).toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED' });
        expect((result as Error).message).toContain(BILLING_ERRORS[code].message);
        expect(fake.requests).toHaveLength(1);
      }
      const counted = (await metrics.upstreamCalls.get()).values.find((v) => v.labels.outcome === 'MODEL_QUOTA_EXHAUSTED');
      expect(counted?.value).toBe(4);
    } finally {
      await fake.close();
    }
  });

  describe('through the gateway', () => {
    let h: Harness;
    const logs = captureLogs('warn');
    beforeAll(async () => {
      h = await startHarness({
        logger: logs.logger,
        env: { QWEN_MAX_RETRIES: '2', QWEN_QUOTA_BACKOFF_SECONDS: '600', QWEN_FALLBACKS: JSON.stringify([{ model: 'qwen-vl-fallback' }]) },
      });
    });
    afterAll(() => h.close());

    it('fail fast for the backoff window without upstream requests or fallbacks, with a gauge and a warn line to alert on', async () => {
      const image = await upload(h.gateway.client, 30, 20);
      h.fake.inject({ kind: 'billing', code: 'insufficient_quota' });
      const first = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Paid?' });
      expect(errorCodes(first)).toEqual(['MODEL_QUOTA_EXHAUSTED']);
      expect(first.errors![0]!.message).toContain(BILLING_ERRORS.insufficient_quota.message);
      expect(first.errors![0]!.extensions).toMatchObject({ retryAfter: 600 });
      // One request: no SDK retry of the 429, no fallback model asked.
      expect(h.fake.requests.map((r) => r.model)).toEqual(['qwen-vl-test']);

      const second = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Still nothing?' });
      expect(errorCodes(second)).toEqual(['MODEL_QUOTA_EXHAUSTED']);
      expect(second.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
      expect(h.fake.requests).toHaveLength(1);

      const metricsText = await (await fetch(h.gateway.server.url.replace(/\/graphql$/, '/metrics'))).text();
      const gauge = /gateway_upstream_quota_exhausted_until_seconds\{endpoint="[^"]+#qwen-vl-test"\} (\S+)/.exec(metricsText);
      expect(Number(gauge?.[1])).toBeGreaterThan(Date.now() / 1000);
      expect(logs.lines.filter((line) => /MODEL_QUOTA_EXHAUSTED/.test(line.msg))).toHaveLength(1);
    });
  });

  describe('in a job', () => {
    let h: Harness;
    beforeAll(async () => {
      // A one-second window, so the job's wait ends within the test; one retry, which four refusals would spend.
      h = await startHarness({ env: { QWEN_QUOTA_BACKOFF_SECONDS: '1', JOB_ITEM_RETRIES: '1', JOB_RETRY_DELAY_MS: '0' } });
    });
    afterAll(() => h.close());

    it('items wait the window out and are asked again, without spending their retries', async () => {
      const image = await upload(h.gateway.client, 30, 21);
      h.fake.inject({ kind: 'billing', code: 'Arrearage' }, { kind: 'billing', code: 'PrepaidBillOverdue' }, { kind: 'billing', code: 'Arrearage' });
      const submitted = await h.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Worth the wait?'] } });
      expect(submitted.errors).toBeUndefined();
      const socket = wsClient(h.gateway.server.url);
      try {
        const [event] = await collect(socket, JobCompletedDocument, { id: submitted.data!.submitAnalysis.id });
        expect(event!.data!.jobCompleted).toMatchObject({ status: 'SUCCEEDED', done: 1, failed: 0 });
      } finally {
        await socket.dispose();
      }
      // Three refusals, each followed by a wait of the window, then the answer.
      expect(h.fake.requests).toHaveLength(4);
    });
  });
});

describe('an error event inside a streamed reply', () => {
  let fake: FakeQwen;
  beforeAll(async () => {
    fake = await startFakeQwen();
  });
  afterAll(() => fake.close());

  it('is classified by its code: internal_error is MODEL_UNAVAILABLE (retryable), data_inspection_failed MODEL_REJECTED', async () => {
    const { provider } = qwenProviderOn(fake);
    const image = { mimeType: 'image/png', width: 8, height: 8, data: await makeImage({ format: 'png', width: 8, height: 8 }) };
    const request = { images: [image], turns: [{ role: 'user' as const, text: 'Tell me.' }] };
    const cases = [['internal_error', 'MODEL_UNAVAILABLE', true], ['data_inspection_failed', 'MODEL_REJECTED', false]] as const;
    for (const [code, expected, retryable] of cases) {
      fake.inject({ kind: 'stream-error', code });
      const deltas: string[] = [];
      const error = await provider.chat(request, { onDelta: (d) => deltas.push(d) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: expected, isRetryable: retryable });
      expect((error as Error).message).not.toContain('HTTP 0');
      expect(deltas).toHaveLength(1);
    }
  });

  it('ends an answerStream subscription with that code', async () => {
    const h = await startHarness();
    try {
      const image = await upload(h.gateway.client, 40, 30);
      h.fake.inject({ kind: 'stream-error', code: 'internal_error' });
      const socket = wsClient(h.gateway.server.url);
      try {
        const events = await collect(socket, AnswerStreamDocument, { imageId: image.id, question: 'Streamed?' });
        expect(errorCodes(events.at(-1)!)).toEqual(['MODEL_UNAVAILABLE']);
      } finally {
        await socket.dispose();
      }
    } finally {
      await h.close();
    }
  });
});

describe('output caps', () => {
  it('splits five packed questions to fit a known cap (qwen-vl-max: 8,192) instead of failing them all', async () => {
    const h = await startHarness({ fake: { maxOutputTokens: 8192 }, env: { QWEN_MODEL: 'qwen-vl-max', TOKEN_RESERVE_PER_ANSWER: '2000' } });
    try {
      const image = await upload(h.gateway.client, 30, 22);
      const response = await askFive(h.gateway.client, image.id);
      expect(response.errors).toBeUndefined();
      expect(Object.values(response.data!.image)).toHaveLength(5);
      // The two calls of the split pack go out together: their order is the network's.
      expect(maxTokensOf(h.fake).sort((a, b) => (b ?? 0) - (a ?? 0))).toEqual([8000, 2000]);
    } finally {
      await h.close();
    }
  });

  it('on the endpoint\'s "Range of max_tokens" 400, splits to the cap it names and asks once more, then remembers it', async () => {
    const h = await startHarness({ fake: { maxOutputTokens: 1000 }, env: { TOKEN_RESERVE_PER_ANSWER: '300' } });
    try {
      const image = await upload(h.gateway.client, 30, 23);
      const response = await askFive(h.gateway.client, image.id);
      expect(response.errors).toBeUndefined();
      expect(Object.values(response.data!.image).every((a) => a?.answer)).toBe(true);
      // The refused pack first; its two halves then go out together, in the network's order.
      const [refused, ...halves] = maxTokensOf(h.fake);
      expect([refused, ...halves.sort((a, b) => (b ?? 0) - (a ?? 0))]).toEqual([1500, 900, 600]);

      h.fake.reset();
      const other = await upload(h.gateway.client, 30, 24);
      expect((await askFive(h.gateway.client, other.id)).errors).toBeUndefined();
      expect(maxTokensOf(h.fake)).toEqual([900, 600]);
    } finally {
      await h.close();
    }
  });

  it('asks a single prompt again under the cap the 400 names', async () => {
    const h = await startHarness({ fake: { maxOutputTokens: 1000 }, env: { TOKEN_RESERVE_PER_ANSWER: '2000' } });
    try {
      const image = await upload(h.gateway.client, 30, 25);
      const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Short?' });
      expect(response.errors).toBeUndefined();
      expect(maxTokensOf(h.fake)).toEqual([2000, 1000]);
    } finally {
      await h.close();
    }
  });
});
