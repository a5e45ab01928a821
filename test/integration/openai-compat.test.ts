import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIError, AuthenticationError, NotFoundError, PermissionDeniedError, RateLimitError, BadRequestError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectedAnswer, expectedImagesAnswer } from '../fake-qwen/index.js';
import { GraphQLClient } from '../support/client.js';
import { sha256 } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage, MIME, toDataUrl } from '../support/images.js';

// The OpenAI-compatible door (issue 29), driven by the official `openai` SDK
// as existing client code would drive it: only the base URL and the key are
// the gateway's. Questions about one image share the cache of askQuestion;
// the fake endpoint counts every upstream request.

const MODEL = 'qwen-vl-test';
/** MAX_UPLOAD_BYTES, small so that the size limits are cheap to reach. */
const UPLOAD_BYTES = 200_000;

let h: Harness;
let alice: OpenAI;
let aliceKey: string;
/** Serves one image over http for URL parts (admitted by IMPORT_ALLOWED_HOSTS). */
let imageHost: http.Server;
let hostedImage: Buffer;

async function keyFor(tenant: string, limits: { tokensPerDay?: number } = {}): Promise<string> {
  return (await h.gateway.app.services.keys.create({ tenant, ...limits })).key;
}

/** No SDK retries: every refusal is seen once, and counts stay exact. */
const clientWith = (apiKey: string) => new OpenAI({ apiKey, baseURL: `http://localhost:${h.gateway.server.port}/v1`, maxRetries: 0 });

let shade = 0;
async function newPng(width = 40, height = 30): Promise<{ bytes: Buffer; url: string }> {
  const bytes = await makeImage({ format: 'png', width, height, color: `#${(0x204060 + ++shade * 7919).toString(16).slice(-6)}` });
  return { bytes, url: toDataUrl(bytes, MIME.png) };
}

const question = (url: string, text: string): OpenAI.ChatCompletionMessageParam => ({
  role: 'user',
  content: [
    { type: 'image_url', image_url: { url } },
    { type: 'text', text },
  ],
});

/** Runs `work` and counts the upstream requests it made. */
async function upstreamCalls(work: () => Promise<unknown>): Promise<number> {
  const before = h.fake.requests.length;
  await work();
  return h.fake.requests.length - before;
}

beforeAll(async () => {
  hostedImage = await makeImage({ format: 'jpeg', width: 32, height: 24, color: '#aa5522' });
  imageHost = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(hostedImage));
  await new Promise<void>((resolve) => imageHost.listen(0, '127.0.0.1', resolve));
  h = await startHarness({ env: { QWEN_OCR_MODEL: 'qwen-vl-ocr-test', QWEN_FALLBACK_MODELS: 'qwen-vl-fallback-test', IMPORT_ALLOWED_HOSTS: '127.0.0.1', MAX_UPLOAD_BYTES: String(UPLOAD_BYTES) } });
  aliceKey = await keyFor('alice');
  alice = clientWith(aliceKey);
});
afterAll(async () => {
  await h.close();
  await new Promise((resolve) => imageHost.close(resolve));
});
afterEach(() => h.fake.reset());

describe('GET /v1/models', () => {
  it('lists QWEN_MODEL, the per-kind model and the fallbacks', async () => {
    const models = [];
    for await (const model of alice.models.list()) models.push(model.id);
    expect(models).toEqual([MODEL, 'qwen-vl-ocr-test', 'qwen-vl-fallback-test']);
    expect((await alice.models.retrieve(MODEL)).id).toBe(MODEL);
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers a question about a data-URL image, stores the image as an upload, and serves a repeat from the stored answer', async () => {
    const image = await newPng();
    const messages = [{ role: 'system' as const, content: 'You are a helpful assistant.' }, question(image.url, 'What is depicted?')];
    const first = await alice.chat.completions.create({ model: MODEL, messages }).withResponse();
    expect(first.response.headers.get('x-gateway-cache')).toBe('miss');
    const sent = h.fake.requests[0]!;
    expect(sent.image!.sha256).toBe(sha256(image.bytes));
    const prompt = 'You are a helpful assistant. What is depicted?';
    expect(first.data).toMatchObject({
      object: 'chat.completion',
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: expectedAnswer(sent.image!, prompt) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1010, completion_tokens: 20, total_tokens: 1030 },
    });

    // The image is the tenant's, content-addressed; the answer is the question askQuestion would find.
    const graphql = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${aliceKey}` });
    const listed = await graphql.request<{ images: { edges: Array<{ node: { id: string; sha256: string } }> } }>('{ images(first: 50) { edges { node { id sha256 } } } }');
    const stored = listed.data!.images.edges.find((edge) => edge.node.sha256 === sha256(image.bytes))!.node;
    const asked = await graphql.request<{ askQuestion: { answer: string; cached: boolean } }>('mutation($id: ID!, $q: String!) { askQuestion(imageId: $id, question: $q) { answer cached } }', { id: stored.id, q: prompt });
    expect(asked.data!.askQuestion).toEqual({ answer: first.data.choices[0]!.message.content, cached: true });

    let repeat: Awaited<ReturnType<typeof first.data.choices.at>> | undefined;
    const calls = await upstreamCalls(async () => {
      const again = await alice.chat.completions.create({ model: MODEL, messages: [{ role: 'system', content: 'You are a  helpful assistant.' }, question(image.url, ' What is depicted? ')] }).withResponse();
      expect(again.response.headers.get('x-gateway-cache')).toBe('hit');
      expect(again.data.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      repeat = again.data.choices[0];
    });
    expect(calls).toBe(0);
    expect(repeat!.message.content).toBe(first.data.choices[0]!.message.content);

    // In the usage ledger under kind CHAT, by model and key: the door's call and its two results (one from the cache); askQuestion's hit is a QUESTION.
    const usage = await graphql.request<{ usage: Array<{ kind: string; model: string; apiKeyId: string; calls: number; results: number; cacheHits: number }> }>(
      '{ usage(groupBy: [KIND, MODEL, API_KEY]) { kind model apiKeyId calls results cacheHits } }',
    );
    expect(usage.data!.usage).toEqual([
      { kind: 'CHAT', model: MODEL, apiKeyId: expect.any(String), calls: 1, results: 2, cacheHits: 1 },
      { kind: 'QUESTION', model: MODEL, apiKeyId: expect.any(String), calls: 0, results: 1, cacheHits: 1 },
    ]);
  });

  it('fetches an http(s) image through the import guard', async () => {
    const completion = await alice.chat.completions.create({ model: MODEL, messages: [question(`http://127.0.0.1:${(imageHost.address() as AddressInfo).port}/photo.jpg`, 'Colour?')] });
    expect(h.fake.requests[0]!.image!.sha256).toBe(sha256(hostedImage));
    expect(completion.choices[0]!.message.content).toBe(expectedAnswer(h.fake.requests[0]!.image!, 'Colour?'));
  });

  it('streams OpenAI chunks with the usage last, and a repeat streams the stored answer as one piece', async () => {
    const image = await newPng(50, 20);
    const { data: stream, response } = await alice.chat.completions.create({ model: MODEL, messages: [question(image.url, 'Describe it')], stream: true, stream_options: { include_usage: true } }).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('miss');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(expectedAnswer(h.fake.requests[0]!.image!, 'Describe it'));
    expect(h.fake.requests[0]!.stream).toBe(true);
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 1010, completion_tokens: 20, total_tokens: 1030 } });

    const calls = await upstreamCalls(async () => {
      const again = await alice.chat.completions.create({ model: MODEL, messages: [question(image.url, 'Describe it')], stream: true }).withResponse();
      expect(again.response.headers.get('x-gateway-cache')).toBe('hit');
      const pieces = [];
      for await (const chunk of again.data) pieces.push(chunk.choices[0]?.delta.content ?? '');
      expect(pieces.join('')).toBe(text);
    });
    expect(calls).toBe(0);
  });

  it('identical streams share one upstream call, each getting the whole text', async () => {
    const image = await newPng(44, 33);
    const open = () => alice.chat.completions.create({ model: MODEL, messages: [question(image.url, 'Shared?')], stream: true });
    const read = async (stream: Awaited<ReturnType<typeof open>>) => {
      const pieces = [];
      for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '');
      return pieces.join('');
    };
    h.fake.holdStreams(1);
    try {
      // Each resolves once its first piece is out: the first started the call, the second joined it mid-reply.
      const first = await open();
      const second = await open();
      h.fake.releaseStreams();
      const [a, b] = await Promise.all([read(first), read(second)]);
      expect(h.fake.requests).toHaveLength(1);
      expect(a).toBe(expectedAnswer(h.fake.requests[0]!.image!, 'Shared?'));
      expect(b).toBe(a);
    } finally {
      h.fake.releaseStreams();
    }
  });

  it('asks about several images in one request, and answers earlier turns as a conversation turn with the images sent once', async () => {
    const [a, b] = [await newPng(20, 10), await newPng(30, 15)];
    const both = await alice.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: a.url } }, { type: 'image_url', image_url: { url: b.url } }, { type: 'text', text: 'Which is wider?' }] }],
    });
    expect(both.choices[0]!.message.content).toBe(expectedImagesAnswer(h.fake.requests[0]!.images, 'Which is wider?'));
    h.fake.reset();

    const turn = await alice.chat.completions.create({
      model: MODEL,
      messages: [question(a.url, 'What colour is it?'), { role: 'assistant', content: 'Blue-ish.' }, { role: 'user', content: 'And its size?' }],
    }).withResponse();
    expect(turn.response.headers.get('x-gateway-cache')).toBe('miss');
    const sent = h.fake.requests[0]!;
    expect(sent.messages.filter((message) => message.role !== 'system')).toEqual([
      { role: 'user', text: 'What colour is it?', images: 1 },
      { role: 'assistant', text: 'Blue-ish.', images: 0 },
      { role: 'user', text: 'And its size?', images: 0 },
    ]);
    expect(turn.data.choices[0]!.message.content).toBe(expectedImagesAnswer(sent.images, 'And its size?'));
    h.fake.reset();

    // Streamed, the turn comes as the model writes it, and a repeat is asked again: a conversation turn is never cached.
    for (const expected of ['miss', 'miss']) {
      const streamed = await alice.chat.completions
        .create({ model: MODEL, messages: [question(b.url, 'Describe it'), { role: 'assistant', content: 'A flat colour.' }, { role: 'user', content: 'Which colour?' }], stream: true })
        .withResponse();
      expect(streamed.response.headers.get('x-gateway-cache')).toBe(expected);
      const pieces = [];
      for await (const chunk of streamed.data) pieces.push(chunk.choices[0]?.delta.content ?? '');
      expect(pieces.join('')).toBe(expectedImagesAnswer(h.fake.requests.at(-1)!.images, 'Which colour?'));
    }
    expect(h.fake.requests).toHaveLength(2);
  });

  it('passes a json_schema response_format through and returns the validated JSON; a reply not matching it is refused', async () => {
    const image = await newPng();
    const schema = { type: 'object', properties: { text: { type: 'string' }, language: { type: 'string' } }, required: ['text', 'language'], additionalProperties: false };
    const completion = await alice.chat.completions.create({
      model: MODEL,
      messages: [question(image.url, 'Read the text')],
      response_format: { type: 'json_schema', json_schema: { name: 'text_reading', schema, strict: true } },
    });
    expect(h.fake.requests[0]!.responseFormat).toBe('json_schema');
    expect(JSON.parse(completion.choices[0]!.message.content!)).toMatchObject({ text: expect.stringContaining('TEXT'), language: 'en' });

    const stricter = { ...schema, properties: { ...schema.properties, confidence: { type: 'number' } }, required: [...schema.required, 'confidence'] };
    const refused = await alice.chat.completions
      .create({ model: MODEL, messages: [question(image.url, 'Read the text')], response_format: { type: 'json_schema', json_schema: { name: 'text_reading', schema: stricter } } })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(APIError);
    expect(refused).toMatchObject({ status: 502, code: 'MODEL_BAD_RESPONSE' });
  });
});

describe('refusals in OpenAI\'s shape', () => {
  it('an unknown key is an AuthenticationError', async () => {
    const refused = await clientWith('gw_not-a-key').chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect(refused).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', type: 'authentication_error' });
  });

  it('a browser page of an origin outside CORS_ORIGINS is refused, as on /graphql', async () => {
    const page = new OpenAI({ apiKey: aliceKey, baseURL: `http://localhost:${h.gateway.server.port}/v1`, maxRetries: 0, defaultHeaders: { Origin: 'https://elsewhere.example' } });
    const refused = await page.models.list().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect(refused).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('CORS_ORIGINS') });
  });

  it('an unknown model is a NotFoundError naming the param', async () => {
    const image = await newPng();
    const calls = await upstreamCalls(async () => {
      const refused = await alice.chat.completions.create({ model: 'gpt-4o', messages: [question(image.url, 'hi')] }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(NotFoundError);
      expect(refused).toMatchObject({ code: 'NOT_FOUND', param: 'model' });
    });
    expect(calls).toBe(0);
  });

  it('a bad image is refused with the upload\'s code, and nothing goes upstream', async () => {
    const calls = await upstreamCalls(async () => {
      const garbage = await alice.chat.completions.create({ model: MODEL, messages: [question(`data:image/png;base64,${Buffer.from('not an image at all').toString('base64')}`, 'hi')] }).catch((error: unknown) => error);
      expect(garbage).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      const privateUrl = await alice.chat.completions.create({ model: MODEL, messages: [question('http://10.0.0.1/secret.png', 'hi')] }).catch((error: unknown) => error);
      expect(privateUrl).toBeInstanceOf(PermissionDeniedError);
      expect(privateUrl).toMatchObject({ code: 'FORBIDDEN' });
      const none = await alice.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'no image here' }] }).catch((error: unknown) => error);
      expect(none).toBeInstanceOf(BadRequestError);
      expect(none).toMatchObject({ code: 'BAD_USER_INPUT', param: 'messages' });
    });
    expect(calls).toBe(0);
  });

  it('an image over MAX_UPLOAD_BYTES, or a body over what the images and text may take, is PAYLOAD_TOO_LARGE', async () => {
    const calls = await upstreamCalls(async () => {
      const big = `data:image/png;base64,${Buffer.alloc(UPLOAD_BYTES + 10_000).toString('base64')}`;
      const image = await alice.chat.completions.create({ model: MODEL, messages: [question(big, 'hi')] }).catch((error: unknown) => error);
      expect(image).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('Image 1') });
      const body = await alice.chat.completions.create({ model: MODEL, messages: [question((await newPng()).url, 'x'.repeat(4 * 1024 * 1024))] }).catch((error: unknown) => error);
      expect(body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    });
    expect(calls).toBe(0);
  });

  it('an exhausted token budget is a RateLimitError before any upstream call, and a refused turn leaves no conversation behind', async () => {
    const poorKey = await keyFor('poor', { tokensPerDay: 10 });
    const poor = clientWith(poorKey);
    const image = await newPng();
    const calls = await upstreamCalls(async () => {
      for (const messages of [[question(image.url, 'hi')], [question(image.url, 'hi'), { role: 'assistant' as const, content: 'Hello.' }, { role: 'user' as const, content: 'More?' }]]) {
        const refused = await poor.chat.completions.create({ model: MODEL, messages }).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(RateLimitError);
        expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
      }
    });
    expect(calls).toBe(0);
    const graphql = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${poorKey}` });
    const listed = await graphql.request<{ conversations: { edges: unknown[] } }>('{ conversations(first: 5) { edges { node { id } } } }');
    expect(listed.data!.conversations.edges).toEqual([]);
  });
});

describe('an open gateway (no key exists yet)', () => {
  it('takes a key that is not a gateway key (a DashScope sk-… key left in the code) as no key; once keys exist, it is refused', async () => {
    const own = await startHarness({ env: { KEY_CACHE_SECONDS: '0' } });
    try {
      const ownClient = (apiKey: string) => new OpenAI({ apiKey, baseURL: `http://localhost:${own.gateway.server.port}/v1`, maxRetries: 0 });
      const client = ownClient('sk-a-dashscope-key');
      const image = await newPng();
      const completion = await client.chat.completions.create({ model: MODEL, messages: [question(image.url, 'What is it?')] });
      expect(completion.choices[0]!.message.content).toContain('What is it?');
      // An unknown gateway key is still refused, as over GraphQL.
      await expect(ownClient('qvg_unknown').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

      await own.gateway.app.services.keys.create({ tenant: 'alice' });
      await expect(client.chat.completions.create({ model: MODEL, messages: [question(image.url, 'What is it?')] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    } finally {
      await own.close();
    }
  });
});

describe('a client json_schema the endpoint refuses', () => {
  it('falls back to json_object for that request alone: the endpoint is not switched to json_object for everyone', async () => {
    const own = await startHarness({ fake: { rejectJsonSchema: true } });
    try {
      const { key } = await own.gateway.app.services.keys.create({ tenant: 'alice' });
      const client = new OpenAI({ apiKey: key, baseURL: `http://localhost:${own.gateway.server.port}/v1`, maxRetries: 0 });
      const image = await newPng();
      const schema = { type: 'object', properties: { text: { type: 'string' }, language: { type: 'string' } }, required: ['text', 'language'], additionalProperties: false };
      for (const words of ['Read the text', 'Read the text again']) {
        const completion = await client.chat.completions.create({ model: MODEL, messages: [question(image.url, words)], response_format: { type: 'json_schema', json_schema: { name: 'text_reading', schema } } });
        expect(JSON.parse(completion.choices[0]!.message.content!)).toMatchObject({ language: 'en' });
      }
      expect(own.fake.requests.map((request) => request.responseFormat)).toEqual(['json_schema', 'json_object', 'json_schema', 'json_object']);
    } finally {
      await own.close();
    }
  });
});
