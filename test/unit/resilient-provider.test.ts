import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { Metrics } from '../../src/platform/metrics.js';
import { ModelCallError, type ModelErrorCode } from '../../src/model/model-call-error.js';
import { toApiError } from '../../src/modules/answers/model-errors.js';
import { GatewayError } from '../../src/platform/errors.js';
import { CircuitBreakerProvider, type CircuitOptions, type CircuitState } from '../../src/model/circuit.js';
import { createModelProvider } from '../../src/model/create-provider.js';
import type { ChatOptions, ChatRequest, ModelAnswer, ModelImage, ModelPrompt, ModelProvider, ModelResult } from '../../src/model/provider.js';
import { promptText } from '../../src/model/reply-format.js';
import { moderationFormat } from '../../src/modules/vision/kinds/moderation/moderation.format.js';
import { ResilientProvider } from '../../src/model/resilient-provider.js';
import { UnconfiguredProvider } from '../../src/model/unconfigured-provider.js';
import { startFakeQwen, type FakeQwen } from '../fake-qwen/index.js';
import { makeImage } from '../support/images.js';
import { qwenProviderOn } from '../support/qwen-provider.js';

const IMAGE: ModelImage = { mimeType: 'image/png', width: 1, height: 1, data: Buffer.alloc(0) };
const USAGE = { promptTokens: 10, completionTokens: 2, totalTokens: 12, cachedTokens: 0 };

const ok = (text: string): ModelAnswer => ({ text, finishReason: 'stop', usage: USAGE, latencyMs: 1 });
const fail = (code: ModelErrorCode) => new ModelCallError(code, `${code} from the stub`);

type Behaviour = (prompt: string, options: ChatOptions | undefined) => ModelResult | Promise<ModelResult>;

/** A provider at the boundary: records each call and answers per prompt (for chat: the last turn) as told. */
class StubProvider implements ModelProvider {
  readonly calls: Array<{ prompts: string[]; signal: AbortSignal | undefined }> = [];
  constructor(
    readonly model: string,
    public behaviour: Behaviour = (p) => ok(`${model}: ${p}`),
  ) {}

  answer(_image: ModelImage, prompts: readonly ModelPrompt[], options?: ChatOptions): Promise<ModelResult[]> {
    const texts = prompts.map(promptText);
    this.calls.push({ prompts: texts, signal: options?.signal });
    return Promise.all(texts.map((p) => this.behaviour(p, options)));
  }

  /** A streamed reply comes as one piece, unless the behaviour delivers pieces itself. */
  async chat(request: ChatRequest, options?: ChatOptions): Promise<ModelAnswer> {
    const prompt = request.turns.at(-1)?.text ?? '';
    this.calls.push({ prompts: [prompt], signal: options?.signal });
    const result = await this.behaviour(prompt, options);
    if (result instanceof Error) throw result;
    options?.onDelta?.(result.text);
    return result;
  }
}

/** Resolves with the signal's reason once aborted, like the real adapter. */
const hangUntilAborted: Behaviour = (_p, options) =>
  new Promise((resolve) => options?.signal?.addEventListener('abort', () => resolve(options.signal!.reason as Error), { once: true }));

const codeOf = (result: ModelResult | undefined) => (result instanceof ModelCallError ? result.code : result instanceof Error ? 'Error' : 'answer');

const breakers: CircuitBreakerProvider[] = [];
afterEach(() => {
  vi.useRealTimers(); // a test that failed half-way must not leave fake timers behind
  for (const b of breakers.splice(0)) b.shutdown();
});

function breaker(inner: ModelProvider, options: Partial<CircuitOptions> = {}) {
  const states: CircuitState[] = [];
  const provider = new CircuitBreakerProvider(inner, {
    baseUrl: 'http://primary.test/v1',
    failureThreshold: 50,
    minRequests: 4,
    resetMs: 150,
    onStateChange: (s) => states.push(s),
    ...options,
  });
  breakers.push(provider);
  return { provider, states };
}

describe('circuit breaker', () => {
  it('stays closed below CIRCUIT_MIN_REQUESTS calls, however many fail', async () => {
    const inner = new StubProvider('m', () => fail('MODEL_UNAVAILABLE'));
    const { provider } = breaker(inner, { minRequests: 4 });
    for (let i = 0; i < 3; i++) await provider.answer(IMAGE, ['q']);
    expect(provider.state).toBe('closed');
    expect(inner.calls).toHaveLength(3);
  });

  it('opens when the failure percentage reaches the threshold, then fails fast without calling the endpoint', async () => {
    let healthy = true;
    const inner = new StubProvider('m', (p) => (healthy ? ok(p) : fail('MODEL_UNAVAILABLE')));
    const { provider, states } = breaker(inner, { failureThreshold: 50, minRequests: 4 });
    await provider.answer(IMAGE, ['a']);
    await provider.answer(IMAGE, ['b']);
    healthy = false;
    const third = await provider.answer(IMAGE, ['c']);
    expect(codeOf(third[0])).toBe('MODEL_UNAVAILABLE');
    expect(provider.state).toBe('closed'); // 1 of 3 failed, and only 3 calls
    await provider.answer(IMAGE, ['d']); // 2 of 4 = 50 %: reaches the threshold
    expect(provider.state).toBe('open');
    expect(states).toEqual(['closed', 'open']);

    const fast = await provider.answer(IMAGE, ['e', 'f']);
    expect(inner.calls).toHaveLength(4);
    expect(fast).toHaveLength(2);
    for (const result of fast) {
      expect(result).toBeInstanceOf(ModelCallError);
      const error = result as ModelCallError;
      expect(error.code).toBe('MODEL_UNAVAILABLE');
      expect(error.isRetryable).toBe(true);
      expect(error.message).toMatch(/http:\/\/primary\.test\/v1 \(model m\) is failing/);
      expect(error.message).toMatch(/tried again in \d+ s \(at \d{4}-\d\d-\d\dT/);
      expect(error.retryAfter).toBeGreaterThanOrEqual(1);
    }
  });

  it('after CIRCUIT_RESET_MS lets one probe through (others still fail fast), and its success closes the circuit with a fresh window', async () => {
    let healthy = false;
    let release: () => void = () => {};
    const inner = new StubProvider('m', (p) => (healthy ? new Promise<ModelResult>((resolve) => (release = () => resolve(ok(p)))) : fail('MODEL_UNAVAILABLE')));
    const { provider, states } = breaker(inner, { minRequests: 2, resetMs: 100 });
    await provider.answer(IMAGE, ['a']);
    await provider.answer(IMAGE, ['b']);
    expect(provider.state).toBe('open');

    await sleep(150);
    expect(provider.state).toBe('half-open');
    healthy = true;
    const probe = provider.answer(IMAGE, ['probe']);
    const meanwhile = await provider.answer(IMAGE, ['other']);
    expect(codeOf(meanwhile[0])).toBe('MODEL_UNAVAILABLE');
    expect((meanwhile[0] as Error).message).toMatch(/checking whether it has recovered/);
    expect(inner.calls.map((c) => c.prompts)).toEqual([['a'], ['b'], ['probe']]);
    release();
    expect(codeOf((await probe)[0])).toBe('answer');
    expect(provider.state).toBe('closed');
    expect(states).toEqual(['closed', 'open', 'half-open', 'closed']);

    // The failures that opened it are forgotten: one new failure among few calls does not reopen it.
    healthy = false;
    await provider.answer(IMAGE, ['c']);
    expect(provider.state).toBe('closed');
  });

  it('a failed probe opens it again for another CIRCUIT_RESET_MS', async () => {
    const inner = new StubProvider('m', () => fail('MODEL_UNAVAILABLE'));
    const { provider, states } = breaker(inner, { minRequests: 1, resetMs: 100 });
    await provider.answer(IMAGE, ['a']);
    await sleep(150);
    await provider.answer(IMAGE, ['probe']);
    expect(inner.calls).toHaveLength(2);
    expect(provider.state).toBe('open');
    expect(states).toEqual(['closed', 'open', 'half-open', 'open']);
    await provider.answer(IMAGE, ['fast']);
    expect(inner.calls).toHaveLength(2);
  });

  it.each<ModelErrorCode>(['MODEL_REJECTED', 'MODEL_BAD_RESPONSE', 'MODEL_RATE_LIMITED', 'MODEL_NOT_CONFIGURED'])(
    '%s never opens it',
    async (code) => {
      const inner = new StubProvider('m', () => fail(code));
      const { provider } = breaker(inner, { minRequests: 1, failureThreshold: 1 });
      for (let i = 0; i < 10; i++) expect(codeOf((await provider.answer(IMAGE, ['q']))[0])).toBe(code);
      expect(provider.state).toBe('closed');
      expect(inner.calls).toHaveLength(10);
    },
  );

  it('a hanging endpoint opens it once calls pass the slow-call time, while they still hang, and later calls fail fast', async () => {
    const inner = new StubProvider('m', hangUntilAborted);
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const { provider } = breaker(inner, { minRequests: 4, slowCallMs: 50, onStateChange: (s) => s === 'open' && opened() });
    const controller = new AbortController();
    let settled = 0;
    const hung = Array.from({ length: 4 }, (_, i) => provider.answer(IMAGE, [`q${i}`], { signal: controller.signal }).finally(() => settled++));
    await open;
    expect(settled).toBe(0); // opened by the slowness itself, not by the calls finally failing
    const fast = await provider.answer(IMAGE, ['next']);
    expect(codeOf(fast[0])).toBe('MODEL_UNAVAILABLE');
    expect((fast[0] as ModelCallError).retryAfter).toBeGreaterThanOrEqual(1);
    expect(inner.calls).toHaveLength(4);
    // The slow calls themselves end as their own call ends (here: cancelled), not with opossum's timeout.
    controller.abort(new ModelCallError('MODEL_UNAVAILABLE', 'cancelled by the test'));
    for (const results of await Promise.all(hung)) expect((results[0] as Error).message).toBe('cancelled by the test');
  });

  it('time spent queueing behind QWEN_MAX_CONCURRENCY is not taken for a slow endpoint', async () => {
    vi.useFakeTimers();
    try {
      let releaseFirst!: () => void;
      const stub = new StubProvider('m', (p) => (p === 'first' ? new Promise((resolve) => (releaseFirst = () => resolve(ok(p)))) : ok(p)));
      // Like the real adapter, the endpoint takes one request at a time.
      const oneAtATime = pLimit(1);
      const inner: ModelProvider = {
        model: 'm',
        answer: (image, prompts, options) => oneAtATime(() => stub.answer(image, prompts, options)),
        chat: (request, options) => oneAtATime(() => stub.chat(request, options)),
      };
      const { provider } = breaker(inner, { minRequests: 2, failureThreshold: 50, slowCallMs: 1000, maxConcurrency: 1 });
      const calls = ['first', 'a', 'b', 'c'].map((p) => provider.answer(IMAGE, [p]));
      await vi.advanceTimersByTimeAsync(1500); // the first is slow; the others wait behind it, not at the endpoint
      releaseFirst();
      expect((await Promise.all(calls)).map((r) => codeOf(r[0]))).toEqual(['answer', 'answer', 'answer', 'answer']);
      expect(provider.state).toBe('closed'); // one slow call in four: 25 %
    } finally {
      vi.useRealTimers();
    }
  });

  it('a call counts as failed when any of its prompts failed with MODEL_UNAVAILABLE; the other results pass through', async () => {
    const inner = new StubProvider('m', (p) => (p === 'bad' ? fail('MODEL_UNAVAILABLE') : ok(p)));
    const { provider } = breaker(inner, { minRequests: 1, failureThreshold: 100 });
    const results = await provider.answer(IMAGE, ['good', 'bad']);
    expect(results.map(codeOf)).toEqual(['answer', 'MODEL_UNAVAILABLE']);
    expect(provider.state).toBe('open');
  });
});

describe('fallbacks', () => {
  it('tries the fallbacks in order and tags the answer with the model that produced it', async () => {
    const primary = new StubProvider('primary', () => fail('MODEL_UNAVAILABLE'));
    const first = new StubProvider('first', () => fail('MODEL_UNAVAILABLE'));
    const second = new StubProvider('second');
    const provider = new ResilientProvider([primary, first, second], { deadlineMs: 5_000 });
    expect(provider.model).toBe('primary');
    const [result] = await provider.answer(IMAGE, ['q']);
    expect(result).toMatchObject({ text: 'second: q', model: 'second' });
    expect([primary.calls.length, first.calls.length, second.calls.length]).toEqual([1, 1, 1]);
  });

  it('an answer from the primary carries its model and asks no fallback', async () => {
    const primary = new StubProvider('primary');
    const fallback = new StubProvider('fallback');
    const [result] = await new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).answer(IMAGE, ['q']);
    expect(result).toMatchObject({ text: 'primary: q', model: 'primary' });
    expect(fallback.calls).toHaveLength(0);
  });

  it('sends only the prompts that were unavailable to the next endpoint, and keeps the order', async () => {
    const primary = new StubProvider('primary', (p) => (p === 'down' || p === 'throttled' ? fail(p === 'down' ? 'MODEL_UNAVAILABLE' : 'MODEL_RATE_LIMITED') : p === 'refused' ? fail('MODEL_REJECTED') : ok(p)));
    const fallback = new StubProvider('fallback');
    const results = await new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).answer(IMAGE, ['fine', 'down', 'refused', 'throttled']);
    expect(fallback.calls.map((c) => c.prompts)).toEqual([['down', 'throttled']]);
    expect(results.map(codeOf)).toEqual(['answer', 'answer', 'MODEL_REJECTED', 'answer']);
    expect(results[0]).toMatchObject({ model: 'primary' });
    expect(results[1]).toMatchObject({ text: 'fallback: down', model: 'fallback' });
    expect(results[3]).toMatchObject({ text: 'fallback: throttled', model: 'fallback' });
  });

  it.each<ModelErrorCode>(['MODEL_REJECTED', 'MODEL_BAD_RESPONSE', 'MODEL_NOT_CONFIGURED'])('does not fall back on %s', async (code) => {
    const primary = new StubProvider('primary', () => fail(code));
    const fallback = new StubProvider('fallback');
    const [result] = await new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).answer(IMAGE, ['q']);
    expect(codeOf(result)).toBe(code);
    expect(fallback.calls).toHaveLength(0);
  });

  it('does not fall back on an uncoded error (e.g. an image that could not be prepared)', async () => {
    const primary = new StubProvider('primary', () => new Error('The stored image could not be prepared for the model.'));
    const fallback = new StubProvider('fallback');
    const [result] = await new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).answer(IMAGE, ['q']);
    expect(codeOf(result)).toBe('Error');
    expect(fallback.calls).toHaveLength(0);
  });

  it('when every endpoint is unavailable, answers with the primary’s error (its retryAfter included)', async () => {
    const limited = new ModelCallError('MODEL_RATE_LIMITED', 'slow down', { retryAfter: 7 });
    const primary = new StubProvider('primary', () => limited);
    const fallback = new StubProvider('fallback', () => fail('MODEL_UNAVAILABLE'));
    const [result] = await new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).answer(IMAGE, ['q']);
    expect(result).toBe(limited);
  });

  it('a fallback’s own verdict on the content stands (MODEL_REJECTED from the fallback)', async () => {
    const primary = new StubProvider('primary', () => fail('MODEL_UNAVAILABLE'));
    const fallback = new StubProvider('fallback', () => fail('MODEL_REJECTED'));
    const [result] = await new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).answer(IMAGE, ['q']);
    expect(codeOf(result)).toBe('MODEL_REJECTED');
  });

  it('skips a primary whose circuit is open without calling it', async () => {
    const primary = new StubProvider('primary', () => fail('MODEL_UNAVAILABLE'));
    const { provider: guarded } = breaker(primary, { minRequests: 2, resetMs: 60_000 });
    const fallback = new StubProvider('fallback');
    const provider = new ResilientProvider([guarded, fallback], { deadlineMs: 5_000 });
    for (let i = 0; i < 5; i++) expect(await provider.answer(IMAGE, [`q${i}`])).toEqual([expect.objectContaining({ model: 'fallback' })]);
    expect(primary.calls).toHaveLength(2);
    expect(fallback.calls).toHaveLength(5);
  });
});

describe('deadline', () => {
  it('fails the open prompts with MODEL_UNAVAILABLE "deadline exceeded" and aborts the in-flight call', async () => {
    const primary = new StubProvider('primary', hangUntilAborted);
    const fallback = new StubProvider('fallback');
    vi.useFakeTimers();
    let settled = false;
    const answering = new ResilientProvider([primary, fallback], { deadlineMs: 200 }).answer(IMAGE, ['a', 'b']).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(199);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    const results = await answering;
    for (const result of results) {
      expect(codeOf(result)).toBe('MODEL_UNAVAILABLE');
      expect((result as ModelCallError).isRetryable).toBe(true);
      expect((result as Error).message).toMatch(/deadline exceeded/);
    }
    expect(primary.calls[0]!.signal!.aborted).toBe(true);
    expect(fallback.calls).toHaveLength(0);
  });

  it('covers the fallbacks too: time spent on the primary is not given again', async () => {
    vi.useFakeTimers();
    const primary = new StubProvider('primary', async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return fail('MODEL_UNAVAILABLE');
    });
    const fallback = new StubProvider('fallback', hangUntilAborted);
    const answering = new ResilientProvider([primary, fallback], { deadlineMs: 300 }).answer(IMAGE, ['q']);
    // 150 ms on the primary, then the fallback gets what is left of the 300, not 300 more.
    await vi.advanceTimersByTimeAsync(300);
    vi.useRealTimers();
    const [result] = await answering;
    expect((result as Error).message).toMatch(/deadline exceeded/);
    expect(fallback.calls).toHaveLength(1);
    expect(fallback.calls[0]!.signal!.aborted).toBe(true);
  });

  it('returns on time even when the provider ignores the signal, and keeps answers that arrived before it', async () => {
    const primary = new StubProvider('primary', (p) => (p === 'quick' ? fail('MODEL_UNAVAILABLE') : new Promise<ModelResult>(() => {})));
    const fallback = new StubProvider('fallback');
    const results = await new ResilientProvider([primary, fallback], { deadlineMs: 150 }).answer(IMAGE, ['quick', 'stuck']);
    // One call per endpoint: the primary's call (both prompts) never settles, so nothing reached the fallback.
    expect(results.map((r) => (r as Error).message)).toEqual([expect.stringMatching(/deadline exceeded/), expect.stringMatching(/deadline exceeded/)]);
    expect(fallback.calls).toHaveLength(0);
  });

  it('many abort listeners on one request (one per SDK attempt) raise no leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const primary = new StubProvider('primary', (p, options) => {
        options?.signal?.addEventListener('abort', () => {});
        return ok(p);
      });
      const prompts = Array.from({ length: 20 }, (_, i) => `q${i}`);
      expect(await new ResilientProvider([primary], { deadlineMs: 5_000 }).answer(IMAGE, prompts)).toHaveLength(20);
      await sleep(20);
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a caller’s signal cancels the work too', async () => {
    const primary = new StubProvider('primary', hangUntilAborted);
    const controller = new AbortController();
    const pending = new ResilientProvider([primary], { deadlineMs: 10_000 }).answer(IMAGE, ['q'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const [result] = await pending;
    expect(codeOf(result)).toBe('MODEL_UNAVAILABLE');
    expect((result as Error).message).toMatch(/cancelled/);
  });
});

describe('QwenVlProvider against the fake endpoint: metrics and abort', () => {
  let fake: FakeQwen;
  let png: ModelImage;
  afterEach(() => fake?.close());

  const counts = async (metrics: Metrics) => {
    const calls = (await metrics.upstreamCalls.get()).values.map((v) => [v.labels.outcome, v.value]);
    const tokens = (await metrics.upstreamTokens.get()).values.map((v) => [v.labels.model, v.labels.direction, v.value]);
    return { calls: Object.fromEntries(calls), tokens };
  };

  async function setup(maxRetries: number) {
    fake = await startFakeQwen({ usage: { prompt: 900, completion: 30 } });
    png = { mimeType: 'image/png', width: 8, height: 8, data: await makeImage({ format: 'png', width: 8, height: 8 }) };
    return qwenProviderOn(fake, { maxRetries });
  }

  it('counts every HTTP call (the SDK’s retries included) by outcome, and the billed tokens by direction', async () => {
    const { metrics, provider } = await setup(1);
    fake.inject({ kind: 'status', status: 503 });
    expect(codeOf((await provider.answer(png, ['q']))[0])).toBe('answer');
    fake.inject({ kind: 'status', status: 400 }, { kind: 'garbage' });
    expect(codeOf((await provider.answer(png, ['r']))[0])).toBe('MODEL_REJECTED');
    expect(codeOf((await provider.answer(png, ['s']))[0])).toBe('MODEL_BAD_RESPONSE');
    expect(fake.requests).toHaveLength(4);
    const { calls, tokens } = await counts(metrics);
    expect(calls).toEqual({ MODEL_UNAVAILABLE: 1, ok: 1, MODEL_REJECTED: 1, MODEL_BAD_RESPONSE: 1 });
    expect(tokens).toEqual(expect.arrayContaining([['qwen-vl-test', 'in', 900], ['qwen-vl-test', 'out', 30]]));
    const endpoint = (await metrics.upstreamCalls.get()).values[0]!.labels.endpoint;
    expect(endpoint).toBe(fake.url);
  });

  it('an aborted signal cuts the hanging request short and fails with its reason, without SDK retries', async () => {
    const { metrics, provider } = await setup(2);
    fake.setDefaultFault({ kind: 'hang' });
    const controller = new AbortController();
    const reason = new ModelCallError('MODEL_UNAVAILABLE', 'deadline exceeded (test)');
    // The fake hangs forever: only the signal can end this call, aborted once the request is there.
    const answering = provider.answer(png, ['q'], { signal: controller.signal });
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1), { timeout: 10_000 });
    controller.abort(reason);
    const [result] = await answering;
    expect(result).toBe(reason);
    expect(fake.requests).toHaveLength(1);
    expect((await counts(metrics)).calls).toEqual({ MODEL_UNAVAILABLE: 1 });
  });

  it('a structured reply that never validates fails with MODEL_BAD_RESPONSE carrying what both attempts were billed', async () => {
    const { provider } = await setup(0);
    const garbled = { kind: 'content' as const, content: 'not JSON at all' };
    fake.inject(garbled, garbled);
    const [result] = await provider.answer(png, [{ text: 'Moderate this image.', format: moderationFormat }]);
    expect(result).toMatchObject({ code: 'MODEL_BAD_RESPONSE', billed: { promptTokens: 1800, completionTokens: 60, totalTokens: 1860 } });
    expect(fake.requests).toHaveLength(2);
  });

  it('caps every call’s completion at TOKEN_RESERVE_PER_ANSWER per prompt in it (max_tokens)', async () => {
    const { provider } = await setup(0);
    expect((await provider.answer(png, ['one'])).map(codeOf)).toEqual(['answer']);
    expect((await provider.answer(png, ['a', 'b', 'c'])).map(codeOf)).toEqual(['answer', 'answer', 'answer']);
    expect(fake.requests.map((r) => [r.prompts.length, (r.body as { max_tokens?: unknown }).max_tokens])).toEqual([
      [1, 300],
      [3, 900],
    ]);
  });
});

describe('provider errors at the API edge', () => {
  it('become the GatewayError clients see: same code, message, retryability and retryAfter', () => {
    const limited = toApiError(new ModelCallError('MODEL_RATE_LIMITED', 'slow down', { retryAfter: 7 }));
    expect(limited).toBeInstanceOf(GatewayError);
    expect(limited).toMatchObject({ code: 'MODEL_RATE_LIMITED', message: 'slow down', retryable: true, extensions: { retryAfter: 7 } });
    expect(toApiError(new ModelCallError('MODEL_REJECTED', 'refused'))).toMatchObject({ code: 'MODEL_REJECTED', message: 'refused', retryable: false, extensions: {} });
    const other = new Error('not a model error');
    expect(toApiError(other)).toBe(other);
  });
});

describe('createModelProvider', () => {
  const fakes: FakeQwen[] = [];
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.close();
  });

  it('without an endpoint configured, explains what to set', async () => {
    const provider = createModelProvider(loadConfig({ QWEN_API_KEY: '', DASHSCOPE_API_KEY: '', QWEN_BASE_URL: '' }), new Metrics());
    expect(provider).toBeInstanceOf(UnconfiguredProvider);
    const [result] = await provider.answer(IMAGE, ['q']);
    expect(codeOf(result)).toBe('MODEL_NOT_CONFIGURED');
  });

  it('wires the primary and QWEN_FALLBACKS: a 503 is answered by the fallback, tagged with its model, and every circuit is on the gauge', async () => {
    const primary = await startFakeQwen({ apiKey: 'k' });
    const fallback = await startFakeQwen({ apiKey: 'k' });
    fakes.push(primary, fallback);
    const config = loadConfig({
      QWEN_BASE_URL: primary.url,
      QWEN_API_KEY: 'k',
      QWEN_MODEL: 'qwen-vl-primary',
      QWEN_MAX_RETRIES: '0',
      QWEN_FALLBACKS: JSON.stringify([{ baseUrl: fallback.url, model: 'qwen-vl-fallback' }]),
      CIRCUIT_MIN_REQUESTS: '1',
      CIRCUIT_FAILURE_THRESHOLD: '100',
      CIRCUIT_RESET_MS: '60000',
    });
    const metrics = new Metrics();
    const provider = createModelProvider(config, metrics);
    expect(provider.model).toBe('qwen-vl-primary');
    const png: ModelImage = { mimeType: 'image/png', width: 8, height: 8, data: await makeImage({ format: 'png', width: 8, height: 8 }) };

    primary.inject({ kind: 'status', status: 503 });
    const [result] = await provider.answer(png, ['What is it?']);
    expect(result).toMatchObject({ model: 'qwen-vl-fallback', text: expect.stringMatching(/ :: What is it\?$/) });
    expect(fallback.requests[0]!.model).toBe('qwen-vl-fallback');
    expect(fallback.requests[0]!.authorization).toBe('Bearer k');

    const gauge = Object.fromEntries((await metrics.circuitState.get()).values.map((v) => [v.labels.endpoint, v.value]));
    expect(gauge).toEqual({ [`${primary.url}#qwen-vl-primary`]: 2, [`${fallback.url}#qwen-vl-fallback`]: 0 });
    const calls = (await metrics.upstreamCalls.get()).values.map((v) => `${v.labels.model} ${v.labels.outcome} ${v.value}`);
    expect(calls.sort()).toEqual(['qwen-vl-fallback ok 1', 'qwen-vl-primary MODEL_UNAVAILABLE 1']);
  });
});

describe('chat through the resilience layers', () => {
  const REQUEST = { images: [IMAGE], turns: [{ role: 'user' as const, text: 'q' }] };
  const streamInto = (deltas: string[]) => ({ onDelta: (d: string) => deltas.push(d) });

  it('falls back while no piece of the reply has been delivered, and tags the answer with the model that produced it', async () => {
    const primary = new StubProvider('primary', () => fail('MODEL_UNAVAILABLE'));
    const fallback = new StubProvider('fallback');
    const deltas: string[] = [];
    const answer = await new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).chat(REQUEST, streamInto(deltas));
    expect(answer).toMatchObject({ text: 'fallback: q', model: 'fallback' });
    expect(deltas).toEqual(['fallback: q']);
    expect([primary.calls.length, fallback.calls.length]).toEqual([1, 1]);
  });

  it('once a piece has been delivered, a failure is final: no fallback starts the text over', async () => {
    const primary = new StubProvider('primary', (_p, options) => {
      options?.onDelta?.('half an ');
      return fail('MODEL_UNAVAILABLE');
    });
    const fallback = new StubProvider('fallback');
    const deltas: string[] = [];
    await expect(new ResilientProvider([primary, fallback], { deadlineMs: 5_000 }).chat(REQUEST, streamInto(deltas))).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(deltas).toEqual(['half an ']);
    expect(fallback.calls).toHaveLength(0);
  });

  it('does not fall back on MODEL_REJECTED; when all are unavailable it throws the primary’s error', async () => {
    const rejecting = new ResilientProvider([new StubProvider('p', () => fail('MODEL_REJECTED')), new StubProvider('f')], { deadlineMs: 5_000 });
    await expect(rejecting.chat(REQUEST)).rejects.toMatchObject({ code: 'MODEL_REJECTED' });
    const limited = new ModelCallError('MODEL_RATE_LIMITED', 'slow down', { retryAfter: 7 });
    const down = new ResilientProvider([new StubProvider('p', () => limited), new StubProvider('f', () => fail('MODEL_UNAVAILABLE'))], { deadlineMs: 5_000 });
    await expect(down.chat(REQUEST)).rejects.toBe(limited);
  });

  it('the deadline aborts the in-flight chat and fails it with "deadline exceeded"', async () => {
    const primary = new StubProvider('primary', hangUntilAborted);
    const chatting = new ResilientProvider([primary], { deadlineMs: 50 }).chat(REQUEST);
    await expect(chatting).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', message: expect.stringMatching(/deadline exceeded/) as string });
    expect(primary.calls[0]!.signal?.aborted).toBe(true);
  });

  it('a chat failing with MODEL_UNAVAILABLE counts against the circuit, which then fails chats fast', async () => {
    const inner = new StubProvider('m', () => fail('MODEL_UNAVAILABLE'));
    const { provider } = breaker(inner, { minRequests: 2, resetMs: 60_000 });
    for (let i = 0; i < 2; i++) await expect(provider.chat(REQUEST)).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(provider.state).toBe('open');
    await expect(provider.chat(REQUEST)).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', message: expect.stringMatching(/is failing/) as string });
    expect(inner.calls).toHaveLength(2);
  });

  it('a streamed reply still being written past the slow-call time counts as healthy once its first piece arrived', async () => {
    vi.useFakeTimers();
    const finish: Array<() => void> = [];
    const inner = new StubProvider('m', (p, options) => {
      options?.onDelta?.('first piece ');
      return new Promise((resolve) => finish.push(() => resolve(ok(p))));
    });
    const { provider } = breaker(inner, { minRequests: 2, failureThreshold: 50, slowCallMs: 100 });
    const deltas: string[] = [];
    const chats = [0, 1, 2].map(() => provider.chat(REQUEST, streamInto(deltas)));
    await vi.advanceTimersByTimeAsync(500); // five slow-call times with every reply still being written
    expect(provider.state).toBe('closed');
    for (const end of finish) end();
    expect((await Promise.all(chats)).map((a) => a.text)).toEqual(['q', 'q', 'q']);
    expect(deltas).toEqual(['first piece ', 'first piece ', 'first piece ', 'q', 'q', 'q']);
  });

  it('a streamed reply with no piece by the slow-call time counts as slow', async () => {
    vi.useFakeTimers();
    let opened = false;
    const { provider } = breaker(new StubProvider('m', hangUntilAborted), { minRequests: 2, slowCallMs: 100, onStateChange: (s) => (opened ||= s === 'open') });
    const controller = new AbortController();
    const chats = [0, 1].map(() => provider.chat(REQUEST, { ...streamInto([]), signal: controller.signal }).catch((error: Error) => error));
    await vi.advanceTimersByTimeAsync(150);
    expect(opened).toBe(true);
    controller.abort(new ModelCallError('MODEL_UNAVAILABLE', 'cancelled by the test'));
    for (const error of await Promise.all(chats)) expect((error as Error).message).toBe('cancelled by the test');
  });

  it('a rejected chat does not count against the circuit', async () => {
    const inner = new StubProvider('m', () => fail('MODEL_REJECTED'));
    const { provider } = breaker(inner, { minRequests: 2 });
    for (let i = 0; i < 4; i++) await expect(provider.chat(REQUEST)).rejects.toMatchObject({ code: 'MODEL_REJECTED' });
    expect(provider.state).toBe('closed');
  });

  it('the unconfigured provider says what to set', async () => {
    await expect(new UnconfiguredProvider('m').chat()).rejects.toMatchObject({ code: 'MODEL_NOT_CONFIGURED', message: expect.stringMatching(/QWEN_API_KEY/) as string });
  });
});
