import { afterEach, describe, expect, it } from 'vitest';
import { ModelCallError } from '../../src/model/model-call-error.js';
import type { ChatRequest, ModelImage } from '../../src/model/provider.js';
import { startFakeQwen, type FakeQwen } from '../fake-qwen/index.js';
import { makeImage } from '../support/images.js';
import { qwenProviderOn } from '../support/qwen-provider.js';

/** QwenVlProvider.chat against the fake endpoint over real HTTP: conversations, several images, streaming, abort. */

let fake: FakeQwen;
afterEach(async () => {
  fake.releaseStreams();
  await fake.close();
});

async function image(width: number, height: number, color: string): Promise<ModelImage> {
  return { mimeType: 'image/png', width, height, data: await makeImage({ format: 'png', width, height, color }) };
}

async function setup(options: { maxPixels?: number } = {}) {
  fake = await startFakeQwen({ usage: { prompt: 900, completion: 30 } });
  const { provider, metrics } = qwenProviderOn(fake, options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels });
  const calls = async () => Object.fromEntries((await metrics.upstreamCalls.get()).values.map((v) => [v.labels.outcome, v.value]));
  const tokens = async () => (await metrics.upstreamTokens.get()).values.map((v) => [v.labels.direction, v.value]);
  return { provider, calls, tokens };
}

const question = (images: ModelImage[], text: string): ChatRequest => ({ images, turns: [{ role: 'user', text }] });

/** Collects the deltas of a streamed chat, and resolves `first` with the first one. */
function collector() {
  const deltas: string[] = [];
  let seen!: (delta: string) => void;
  const first = new Promise<string>((resolve) => (seen = resolve));
  return {
    deltas,
    first,
    onDelta: (delta: string) => {
      if (deltas.length === 0) seen(delta);
      deltas.push(delta);
    },
  };
}

describe('QwenVlProvider.chat', () => {
  it('sends the images once, in the first user turn before its text, then every other turn as it is', async () => {
    const { provider } = await setup();
    const blue = await image(64, 48, '#3366cc');
    const red = await image(20, 10, '#cc3333');
    const answer = await provider.chat({
      images: [blue, red],
      turns: [
        { role: 'user', text: 'Compare them.' },
        { role: 'assistant', text: 'The first is blue.' },
        { role: 'user', text: 'And the second?' },
      ],
    });
    expect(answer.text).toBe('64x48 #3366cc + 20x10 #cc3333 :: And the second?');
    expect(answer.usage).toEqual({ promptTokens: 900, completionTokens: 30, totalTokens: 930, cachedTokens: 0 });
    const sent = fake.requests[0]!;
    expect(fake.requests).toHaveLength(1);
    expect(sent.messages).toEqual([
      { role: 'user', text: 'Compare them.', images: 2 },
      { role: 'assistant', text: 'The first is blue.', images: 0 },
      { role: 'user', text: 'And the second?', images: 0 },
    ]);
    expect(sent.images.map((i) => [i.width, i.height, i.meanColor])).toEqual([[64, 48, '#3366cc'], [20, 10, '#cc3333']]);
    // Images come before the text within the first turn.
    const first = (sent.body as { messages: Array<{ content: Array<{ type: string }> }> }).messages[0]!.content;
    expect(first.map((p) => p.type)).toEqual(['image_url', 'image_url', 'text']);
    expect(sent.body).toMatchObject({ model: 'qwen-vl-test', max_tokens: 300 });
    expect(sent.stream).toBe(false);
  });

  it('downscales an image above maxPixels, keeping its aspect ratio', async () => {
    const { provider } = await setup({ maxPixels: 100 * 50 });
    await provider.chat(question([await image(400, 200, '#3366cc')], 'q'));
    expect(fake.requests[0]!.images.map((i) => [i.width, i.height])).toEqual([[100, 50]]);
  });

  it('streams with usage included: each piece reaches onDelta, the answer carries the whole text and the billed usage', async () => {
    const { provider, calls, tokens } = await setup();
    const seen = collector();
    const answer = await provider.chat(question([await image(64, 48, '#3366cc')], 'What is this?'), { onDelta: seen.onDelta });
    expect(seen.deltas.length).toBeGreaterThan(2);
    expect(seen.deltas.join('')).toBe('64x48 #3366cc :: What is this?');
    expect(answer.text).toBe(seen.deltas.join(''));
    expect(answer.usage).toEqual({ promptTokens: 900, completionTokens: 30, totalTokens: 930, cachedTokens: 0 });
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 300 });
    expect(await calls()).toEqual({ ok: 1 });
    expect(await tokens()).toEqual(expect.arrayContaining([['in', 900], ['out', 30]]));
  });

  it('passes the first piece on while the endpoint is still writing the reply', async () => {
    const { provider } = await setup();
    fake.holdStreams();
    const seen = collector();
    const reply = provider.chat(question([await image(64, 48, '#3366cc')], 'slow'), { onDelta: seen.onDelta });
    expect(await seen.first).toBe('64x48 ');
    expect(fake.requests[0]!.finished).toBe(false);
    fake.releaseStreams();
    expect((await reply).text).toBe('64x48 #3366cc :: slow');
    expect(fake.requests[0]!.finished).toBe(true);
  });

  it('an abort mid-stream abandons the upstream request and fails with the abort reason, not the partial text', async () => {
    const { provider, calls } = await setup();
    fake.holdStreams();
    const seen = collector();
    const controller = new AbortController();
    const reply = provider.chat(question([await image(64, 48, '#3366cc')], 'cut'), { onDelta: seen.onDelta, signal: controller.signal });
    await seen.first;
    const reason = new ModelCallError('MODEL_UNAVAILABLE', 'the client left');
    controller.abort(reason);
    await expect(reply).rejects.toBe(reason);
    await expect.poll(() => fake.requests[0]!.abandoned).toBe(true);
    expect(seen.deltas).toEqual(['64x48 ']);
    expect(Object.keys(await calls())).toEqual(['MODEL_UNAVAILABLE']);
  });

  it('an empty streamed reply is MODEL_BAD_RESPONSE; a stream cut by the endpoint is MODEL_UNAVAILABLE', async () => {
    const { provider, calls } = await setup();
    const request = question([await image(8, 8, '#3366cc')], 'q');
    fake.inject({ kind: 'content', content: '  ' }, { kind: 'reset-mid-body' });
    await expect(provider.chat(request, { onDelta: () => {} })).rejects.toMatchObject({ code: 'MODEL_BAD_RESPONSE' });
    const seen = collector();
    await expect(provider.chat(request, { onDelta: seen.onDelta })).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(seen.deltas.length).toBeGreaterThan(0);
    expect(await calls()).toEqual({ ok: 1, MODEL_UNAVAILABLE: 1 });
  });

  it('a non-streamed empty reply is MODEL_BAD_RESPONSE; endpoint errors map to their codes', async () => {
    const { provider } = await setup();
    const request = question([await image(8, 8, '#3366cc')], 'q');
    fake.inject({ kind: 'content', content: '' }, { kind: 'status', status: 400 }, { kind: 'status', status: 429, retryAfter: '3' });
    await expect(provider.chat(request)).rejects.toMatchObject({ code: 'MODEL_BAD_RESPONSE' });
    await expect(provider.chat(request, { onDelta: () => {} })).rejects.toMatchObject({ code: 'MODEL_REJECTED' });
    await expect(provider.chat(request, { onDelta: () => {} })).rejects.toMatchObject({ code: 'MODEL_RATE_LIMITED', retryAfter: 3 });
  });
});
