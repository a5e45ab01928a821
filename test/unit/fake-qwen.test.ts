import { createHash, randomBytes } from 'node:crypto';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeImage, expectedAnswer, startFakeQwen, type BillingCode, type FakeQwen } from '../fake-qwen/index.js';
import { colorDistance, makeImage, MIME, solidColorHex, toDataUrl } from '../support/images.js';

const MODEL = 'qwen-vl-max';

/** The request shape the packing contract prescribes. */
function chatParams(image: Buffer, mime: string, text: string, system?: string): ChatCompletionCreateParamsNonStreaming {
  return {
    model: MODEL,
    messages: [
      ...(system ? [{ role: 'system' as const, content: system }] : []),
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: toDataUrl(image, mime) } },
          { type: 'text', text },
        ],
      },
    ],
  };
}

const client = (fake: FakeQwen, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
  new OpenAI({ baseURL: fake.url, apiKey: 'k', maxRetries: 0, ...extra });

describe('fake Qwen endpoint', () => {
  let fake: FakeQwen;
  let png: Buffer;
  beforeAll(async () => {
    fake = await startFakeQwen();
    png = await makeImage({ format: 'png', width: 64, height: 48, color: '#3366cc' });
  });
  afterEach(() => {
    fake.reset();
    fake.setDelay(0);
    fake.setDefaultFault(null);
    fake.releaseReplies();
  });
  afterAll(() => fake.close());

  it('answers a single prompt from the image and records the request', async () => {
    const res = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'What is this?'));

    expect(res.object).toBe('chat.completion');
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.model).toBe(MODEL);
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.choices[0]?.message.role).toBe('assistant');
    expect(res.choices[0]?.message.content).toBe('64x48 #3366cc :: What is this?');
    expect(res._request_id).toMatch(/^req-/);
    expect(res.usage).toEqual({
      prompt_tokens: 1010,
      completion_tokens: 20,
      total_tokens: 1030,
      prompt_tokens_details: { cached_tokens: 0 },
    });

    expect(fake.requests).toHaveLength(1);
    const rec = fake.requests[0]!;
    expect(rec).toMatchObject({ model: MODEL, authorization: 'Bearer k', prompts: ['What is this?'], packed: false });
    expect(rec.image).toEqual({
      mime: 'image/png',
      width: 64,
      height: 48,
      bytes: png.length,
      sha256: createHash('sha256').update(png).digest('hex'),
      meanColor: '#3366cc',
    });
    expect((rec.body as { messages: Array<{ role: string }> }).messages[0]!.role).toBe('user');
  });

  it('answers a packed request with one answer per question, in order', async () => {
    const questions = ['How many cats?', 'What colour?', 'Indoors?'];
    const res = await client(fake).chat.completions.create({
      ...chatParams(png, 'image/png', JSON.stringify({ questions }), 'Reply with a JSON object {"answers": [...]}.'),
      response_format: { type: 'json_object' },
    });
    const img = { width: 64, height: 48, meanColor: '#3366cc' };
    expect(JSON.parse(res.choices[0]?.message.content ?? '')).toEqual({
      answers: questions.map((q) => expectedAnswer(img, q)),
    });
    expect(res.usage).toMatchObject({ prompt_tokens: 1030, completion_tokens: 60, total_tokens: 1090 });
    expect(fake.requests[0]).toMatchObject({ prompts: questions, packed: true });
  });

  it('treats a one-question JSON text as a plain prompt', async () => {
    const text = JSON.stringify({ questions: ['Only one?'] });
    const res = await client(fake).chat.completions.create(chatParams(png, 'image/png', text));
    expect(res.choices[0]?.message.content).toBe(`64x48 #3366cc :: ${text}`);
    expect(fake.requests[0]?.packed).toBe(false);
  });

  it.each(['png', 'jpeg', 'webp', 'gif'] as const)('decodes %s and reports the mean colour like solidColorHex', async (format) => {
    const buf = await makeImage({ format, width: 33, height: 21, color: '#c08040' });
    const res = await client(fake).chat.completions.create(chatParams(buf, MIME[format], 'q'));
    const mean = await solidColorHex(buf);
    expect(colorDistance(mean, '#c08040')).toBeLessThanOrEqual(2);
    expect(res.choices[0]?.message.content).toBe(`33x21 ${mean} :: q`);
    expect(fake.requests[0]?.image).toMatchObject({ mime: MIME[format], width: 33, height: 21, bytes: buf.length });
  });

  it('reports the displayed size of an EXIF-rotated JPEG', async () => {
    const buf = await makeImage({ format: 'jpeg', width: 40, height: 20, exifOrientation: 6 });
    expect((await sharp(buf).metadata()).orientation).toBe(6);
    const img = await describeImage(buf, 'image/jpeg');
    expect([img.width, img.height]).toEqual([20, 40]);
    await client(fake).chat.completions.create(chatParams(buf, 'image/jpeg', 'q'));
    expect(fake.requests[0]?.image).toMatchObject({ width: 20, height: 40 });
  });

  it('handles a request body of tens of megabytes', async () => {
    // Uncompressed PNG of noise: ~20 MB file, ~27 MB of base64 in the JSON body.
    const [w, h] = [2600, 2600];
    const noise = randomBytes(w * h * 3);
    const big = await sharp(noise, { raw: { width: w, height: h, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    expect(big.length).toBeGreaterThan(15_000_000);
    const res = await client(fake).chat.completions.create(chatParams(big, 'image/png', 'big?'));
    expect(res.choices[0]?.message.content).toMatch(/^2600x2600 #[0-9a-f]{6} :: big\?$/);
    expect(fake.requests[0]?.image?.sha256).toBe(createHash('sha256').update(big).digest('hex'));
  }, 120_000); // a backstop only: the PNG encode and a 27 MB body take seconds on a busy machine

  it('answers a conversation about several images from all of them and the last user turn, recording every turn', async () => {
    const red = await makeImage({ format: 'png', width: 20, height: 10, color: '#cc3333' });
    const res = await client(fake).chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: toDataUrl(png, 'image/png') } },
            { type: 'image_url', image_url: { url: toDataUrl(red, 'image/png') } },
            { type: 'text', text: 'Compare them.' },
          ],
        },
        { role: 'assistant', content: 'They differ.' },
        { role: 'user', content: 'How?' },
      ],
    });
    expect(res.choices[0]?.message.content).toBe('64x48 #3366cc + 20x10 #cc3333 :: How?');
    const rec = fake.requests[0]!;
    expect(rec.images.map((i) => [i.width, i.meanColor])).toEqual([[64, '#3366cc'], [20, '#cc3333']]);
    expect(rec.image?.meanColor).toBe('#3366cc');
    expect(rec.prompts).toEqual(['How?']);
    expect(rec.messages).toEqual([
      { role: 'user', text: 'Compare them.', images: 2 },
      { role: 'assistant', text: 'They differ.', images: 0 },
      { role: 'user', text: 'How?', images: 0 },
    ]);
  });

  describe('streaming (stream: true)', () => {
    afterEach(() => fake.releaseStreams());

    const streamed = (text: string, includeUsage = true) =>
      client(fake).chat.completions.create({
        ...chatParams(png, 'image/png', text),
        stream: true,
        ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      });

    it('sends the answer as chunks that join to the whole text, then the usage, then [DONE]', async () => {
      const deltas: string[] = [];
      const usages: unknown[] = [];
      for await (const chunk of await streamed('What is this?')) {
        expect(chunk.object).toBe('chat.completion.chunk');
        const delta = chunk.choices[0]?.delta.content;
        if (delta) deltas.push(delta);
        if (chunk.usage) usages.push(chunk.usage);
      }
      expect(deltas.length).toBeGreaterThan(2);
      expect(deltas.join('')).toBe('64x48 #3366cc :: What is this?');
      expect(usages).toEqual([{ prompt_tokens: 1010, completion_tokens: 20, total_tokens: 1030, prompt_tokens_details: { cached_tokens: 0 } }]);
      expect(fake.requests[0]).toMatchObject({ stream: true, finished: true, abandoned: false });
    });

    it('sends no usage without include_usage', async () => {
      const chunks = [];
      for await (const chunk of await streamed('q', false)) chunks.push(chunk);
      expect(chunks.some((c) => 'usage' in c)).toBe(false);
    });

    it('holdStreams pauses after the first chunk until releaseStreams; a client that leaves is recorded as abandoned', async () => {
      fake.holdStreams();
      const stream = await streamed('held answer');
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.choices[0]?.delta.content).toBe('64x48 ');
      expect(fake.requests[0]?.finished).toBe(false);
      stream.controller.abort();
      await expect.poll(() => fake.requests[0]?.abandoned).toBe(true);

      const whole = await streamed('released');
      const pending = (async () => {
        const deltas: string[] = [];
        for await (const chunk of whole) deltas.push(chunk.choices[0]?.delta.content ?? '');
        return deltas.join('');
      })();
      await expect.poll(() => fake.requests.length).toBe(2);
      fake.releaseStreams();
      expect(await pending).toBe('64x48 #3366cc :: released');
      expect(fake.requests[1]).toMatchObject({ finished: true, abandoned: false });
    });

    it('content faults shape the stream; reset-mid-body cuts it after a few chunks', async () => {
      fake.inject({ kind: 'content', content: '' }, { kind: 'reset-mid-body' });
      const empty = [];
      for await (const chunk of await streamed('q')) empty.push(chunk.choices[0]?.delta.content ?? '');
      expect(empty.join('')).toBe('');
      const cut: string[] = [];
      const err = await (async () => {
        for await (const chunk of await streamed('q')) cut.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(cut.join('')).not.toBe('');
      expect(cut.join('')).not.toBe('this answer is cut off');
    });

    it('writes `data:` without a space, ends the usage chunk with no choices, and stream-error breaks off with an error event', async () => {
      const raw = await fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...chatParams(png, 'image/png', 'q'), stream: true, stream_options: { include_usage: true } }),
      }).then((r) => r.text());
      const events = raw.split('\n\n').filter(Boolean);
      expect(events.every((e) => e.startsWith('data:{') || e === 'data:[DONE]')).toBe(true);
      expect(JSON.parse(events.at(-2)!.slice('data:'.length))).toMatchObject({ choices: [], usage: { total_tokens: 1030 } });

      fake.inject({ kind: 'stream-error', code: 'internal_error', afterChunks: 2 });
      const pieces: string[] = [];
      const err = await (async () => {
        for await (const chunk of await streamed('q')) pieces.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((e: unknown) => e);
      expect(pieces).toHaveLength(2);
      // The SDK surfaces it as an APIError without a status, carrying the event's error object.
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err).toMatchObject({ status: undefined, code: 'internal_error', error: { code: 'internal_error' } });
    });
  });

  describe('faults', () => {
    it('status 429 → RateLimitError carrying Retry-After', async () => {
      fake.inject({ kind: 'status', status: 429, retryAfter: '2' });
      const err = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitError);
      const e = err as RateLimitError;
      expect(e.status).toBe(429);
      expect(e.headers.get('retry-after')).toBe('2');
      expect(e.code).toBe('limit_requests');
      expect(fake.requests).toHaveLength(1); // faulted requests are recorded
      expect(fake.requests[0]?.image?.meanColor).toBe('#3366cc');
    });

    it('status 500 → InternalServerError; a custom body is sent as given', async () => {
      fake.inject({ kind: 'status', status: 500 }, { kind: 'status', status: 503, body: { error: { message: 'busy', type: 'x', code: 'overloaded' } } });
      const c = client(fake);
      await expect(c.chat.completions.create(chatParams(png, 'image/png', 'q'))).rejects.toBeInstanceOf(InternalServerError);
      await expect(c.chat.completions.create(chatParams(png, 'image/png', 'q'))).rejects.toMatchObject({ status: 503, code: 'overloaded' });
    });

    it('status 400 defaults to DashScope data inspection failure', async () => {
      fake.inject({ kind: 'status', status: 400 });
      const err = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ code: 'data_inspection_failed', type: 'data_inspection_failed' });
      expect((err as Error).message).toContain('Input data may contain inappropriate content.');
    });

    it('billing refusals come with Model Studio\'s statuses and the full error body', async () => {
      const statuses: Record<BillingCode, number> = { Arrearage: 400, 'AllocationQuota.FreeTierOnly': 403, insufficient_quota: 429, PrepaidBillOverdue: 429 };
      for (const [code, status] of Object.entries(statuses)) {
        fake.inject({ kind: 'billing', code: code as BillingCode });
        const res = await fetch(`${fake.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chatParams(png, 'image/png', 'q')) });
        expect(res.status).toBe(status);
        const body = (await res.json()) as { error: Record<string, unknown>; request_id: unknown };
        expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
        expect(body.error.code).toBe(code);
        expect(body.request_id).toEqual(expect.any(String));
      }
    });

    it('reset → APIConnectionError (not a timeout)', async () => {
      fake.inject({ kind: 'reset' });
      const err = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIConnectionError);
      expect(err).not.toBeInstanceOf(APIConnectionTimeoutError);
    });

    it('hang → APIConnectionTimeoutError with a short timeout', async () => {
      fake.inject({ kind: 'hang' });
      const err = await client(fake, { timeout: 300 }).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIConnectionTimeoutError);
    });

    it('reset-mid-body → the body read fails after a 200 (a raw fetch error, not an SDK class)', async () => {
      fake.inject({ kind: 'reset-mid-body' });
      const err = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(OpenAI.APIError);
    });

    it('garbage → a 200 whose JSON does not parse (SyntaxError)', async () => {
      fake.inject({ kind: 'garbage' });
      const err = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyntaxError);
    });

    it('content and empty-choices → 200 with exactly that payload', async () => {
      fake.inject({ kind: 'content', content: '```json\n{"answers":["a"]}\n```' }, { kind: 'content', content: null }, { kind: 'empty-choices' });
      const c = client(fake);
      const p = chatParams(png, 'image/png', 'q');
      expect((await c.chat.completions.create(p)).choices[0]?.message.content).toBe('```json\n{"answers":["a"]}\n```');
      expect((await c.chat.completions.create(p)).choices[0]?.message.content).toBeNull();
      const empty = await c.chat.completions.create(p);
      expect(empty.choices).toEqual([]);
      expect(empty.usage?.total_tokens).toBe(1030);
    });

    it('applies queued faults FIFO, one per request, then serves normally', async () => {
      fake.inject({ kind: 'status', status: 500 }, { kind: 'status', status: 429 });
      const c = client(fake);
      const p = chatParams(png, 'image/png', 'q');
      await expect(c.chat.completions.create(p)).rejects.toBeInstanceOf(InternalServerError);
      await expect(c.chat.completions.create(p)).rejects.toBeInstanceOf(RateLimitError);
      expect((await c.chat.completions.create(p)).choices[0]?.message.content).toBe('64x48 #3366cc :: q');
      expect(fake.requests).toHaveLength(3);
    });

    it('a default fault applies to every request until cleared; reset() drops queued faults', async () => {
      const c = client(fake);
      const p = chatParams(png, 'image/png', 'q');
      fake.setDefaultFault({ kind: 'status', status: 503 });
      await expect(c.chat.completions.create(p)).rejects.toBeInstanceOf(InternalServerError);
      await expect(c.chat.completions.create(p)).rejects.toBeInstanceOf(InternalServerError);
      fake.setDefaultFault(null);
      fake.inject({ kind: 'status', status: 500 });
      fake.reset();
      expect(fake.requests).toHaveLength(0);
      await expect(c.chat.completions.create(p)).resolves.toBeTruthy();
    });

    it('setDelay slows every answer, enough to trip a client timeout', async () => {
      fake.setDelay(150);
      const started = Date.now();
      await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q'));
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      await expect(
        client(fake, { timeout: 50 }).chat.completions.create(chatParams(png, 'image/png', 'q')),
      ).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    });

    it('holdReplies keeps calls in flight until released, one by one or all; a client that leaves is recorded as abandoned', async () => {
      fake.holdReplies();
      const ask = (prompt: string, signal?: AbortSignal) => client(fake).chat.completions.create(chatParams(png, 'image/png', prompt), { signal });
      const sent = (prompt: string) => expect.poll(() => fake.requests.find((r) => r.prompts[0] === prompt), { timeout: 20_000 }).toBeDefined();
      const leaving = new AbortController();
      const left = ask('left', leaving.signal).catch((e: unknown) => e);
      await sent('left');
      leaving.abort();
      await expect.poll(() => fake.requests[0]!.abandoned, { timeout: 20_000 }).toBe(true);
      expect(await left).toBeInstanceOf(Error);

      // The pass goes to the call still waiting, not to the one that left.
      const first = ask('first');
      await sent('first');
      fake.releaseReplies(1);
      expect((await first).choices[0]!.message.content).toBe(expectedAnswer(fake.requests[1]!.image!, 'first'));
      const second = ask('second');
      await sent('second');
      expect(fake.requests[2]!.finished).toBe(false);
      fake.releaseReplies();
      expect((await second).choices[0]!.message.content).toBe(expectedAnswer(fake.requests[2]!.image!, 'second'));
    });
  });

  describe('request validation (400, OpenAI error format)', () => {
    const rejects400 = async (params: unknown, code: string) => {
      const err = await client(fake)
        .chat.completions.create(params as ChatCompletionCreateParamsNonStreaming)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ status: 400, code, type: 'invalid_request_error' });
    };

    it('rejects a stream flag that is not a boolean', () =>
      rejects400({ ...chatParams(png, 'image/png', 'q'), stream: 'yes' }, 'invalid_parameter_error'));
    it('rejects a message without an image', () =>
      rejects400({ model: MODEL, messages: [{ role: 'user', content: 'hello' }] }, 'invalid_parameter_error'));
    it('rejects an http image URL', () =>
      rejects400(
        { model: MODEL, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }, { type: 'text', text: 'q' }] }] },
        'invalid_parameter_error',
      ));
    it('rejects bytes that are not an image', () => rejects400(chatParams(Buffer.from('not an image at all'), 'image/png', 'q'), 'invalid_image'));
    it('rejects json_object mode when no message mentions JSON', () =>
      rejects400({ ...chatParams(png, 'image/png', 'q'), response_format: { type: 'json_object' } }, 'invalid_parameter_error'));
  });
});

describe('fake Qwen endpoint options', () => {
  it('requires the configured API key and lists one model', async () => {
    const fake = await startFakeQwen({ apiKey: 'secret' });
    try {
      const png = await makeImage({ format: 'png', width: 8, height: 8 });
      const err = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ code: 'invalid_api_key' });
      expect(fake.requests[0]?.authorization).toBe('Bearer k');

      const ok = client(fake, { apiKey: 'secret' });
      expect((await ok.chat.completions.create(chatParams(png, 'image/png', 'q'))).choices[0]?.message.content).toBe(
        '8x8 #3366cc :: q',
      );
      const models = [];
      for await (const m of ok.models.list()) models.push(m.id);
      expect(models).toEqual(['qwen-vl-max']);
      await expect(client(fake).models.list()).rejects.toBeInstanceOf(AuthenticationError);
    } finally {
      await fake.close();
    }
  });

  it('refuses a max_tokens above maxOutputTokens as DashScope does', async () => {
    const fake = await startFakeQwen({ maxOutputTokens: 100 });
    try {
      const png = await makeImage({ format: 'png', width: 8, height: 8 });
      const err = await client(fake).chat.completions.create({ ...chatParams(png, 'image/png', 'q'), max_tokens: 101 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ code: 'invalid_parameter_error', message: '400 Range of max_tokens should be [1, 100]' });
      await expect(client(fake).chat.completions.create({ ...chatParams(png, 'image/png', 'q'), max_tokens: 100 })).resolves.toBeDefined();
    } finally {
      await fake.close();
    }
  });

  it('reports the configured usage', async () => {
    const fake = await startFakeQwen({ usage: { prompt: 1200, completion: 30, cached: 1024 } });
    try {
      const png = await makeImage({ format: 'png', width: 8, height: 8 });
      const res = await client(fake).chat.completions.create(chatParams(png, 'image/png', 'q'));
      expect(res.usage).toEqual({
        prompt_tokens: 1200,
        completion_tokens: 30,
        total_tokens: 1230,
        prompt_tokens_details: { cached_tokens: 1024 },
      });
    } finally {
      await fake.close();
    }
  });

  it('close() ends hanging requests instead of waiting for them', async () => {
    const fake = await startFakeQwen();
    const png = await makeImage({ format: 'png', width: 8, height: 8 });
    fake.setDefaultFault({ kind: 'hang' });
    const pending = client(fake).chat.completions.create(chatParams(png, 'image/png', 'q')).catch((e: unknown) => e);
    await expect.poll(() => fake.requests.length).toBe(1);
    // The request hangs forever: only close() can end it (the test's own timeout is the backstop).
    await fake.close();
    expect(await pending).toBeInstanceOf(APIConnectionError);
  });
});
