/**
 * Hostile input, one table: every case sends something a careless or malicious client could send,
 * asserts the documented answer (code and, where it matters, HTTP status), and the shared harness
 * below then checks that nothing was stored half-way (image, answer and job rows, blob files,
 * temporary files), that the model endpoint was called exactly as often as the case allows, and
 * that the gateway still serves.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../fake-qwen/index.js';
import {
  CancelJobDocument,
  CaptionImageDocument,
  GetImageDocument,
  GetJobDocument,
  JobCompletedDocument,
  JobUpdatedDocument,
  ListQuestionsDocument,
  SubmitAnalysisDocument,
  UploadImageDocument,
  UploadImagesDocument,
} from '../generated/graphql.js';
import {
  endlessBody,
  MULTIPART_HEADERS,
  multipart,
  noise,
  part,
  pdfFile,
  pngBomb,
  pngHeaderOnly,
  pngWithGarbageData,
  rawPost,
  readResponse,
  slowBody,
  startOrigin,
  zipFile,
  type Origin,
  type RawResponse,
} from '../support/bad-input-helpers.js';
import { collect, errorCodes, GraphQLClient, wsClient, type GraphQLResponse } from '../support/client.js';
import { filesUnder } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage, solidColorHex, type FixtureFormat } from '../support/images.js';

// ---------------------------------------------------------------------------------------------
// The world: one open gateway (uploads, queries, imports, endpoint faults); tenants and keys are in auth.test.ts
// ---------------------------------------------------------------------------------------------

const LIMITS = { uploadBytes: 200_000, imagePixels: 4_000_000, questionLength: 2000, importTimeoutMs: 4000, qwenTimeoutMs: 3000 };

let open: Harness;
let origin: Origin;
/** An image on the open gateway that question-validation cases ask about. */
let shared: FreshImage;
let importBomb: Buffer;

interface FreshImage {
  id: string;
  bytes: Buffer;
  width: number;
  height: number;
}

let shade = 0;
/** A PNG never uploaded before (its own colour and size), so nothing about it is cached or deduplicated. */
async function freshBytes(format: FixtureFormat = 'png'): Promise<{ bytes: Buffer; width: number; height: number }> {
  shade += 1;
  const width = 24 + (shade % 40);
  const height = 20 + (shade % 7);
  const color = `#${((0x35a17f + shade * 104_729) & 0xffffff).toString(16).padStart(6, '0')}`;
  return { bytes: await makeImage({ format, width, height, color }), width, height };
}

async function freshImage(): Promise<FreshImage> {
  const { bytes, width, height } = await freshBytes();
  const response = await open.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'fresh.png', bytes } }]);
  expect(response.errors).toBeUndefined();
  return { id: response.data!.uploadImage.id, bytes, width, height };
}

const upload = (bytes: Buffer, name: string) =>
  open.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name, bytes, type: 'image/png' } }]);

const UPLOAD_OPERATIONS = JSON.stringify({ query: 'mutation($file: Upload!) { uploadImage(file: $file) { id mimeType } }', variables: { file: null } });
const UPLOAD_MAP = JSON.stringify({ 0: ['variables.file'] });
const sendMultipart = (body: Buffer, headers: Record<string, string> = MULTIPART_HEADERS) => rawPost(open.gateway.server.url, body, headers);
const postJson = (body: unknown, url = open.gateway.server.url) => rawPost(url, body);
const importUrl = (url: string) => open.gateway.client.request<{ importImage: { id: string; mimeType: string } }>('mutation($url: String!) { importImage(url: $url) { id mimeType } }', { url });

const ASK = 'mutation($id: ID!, $q: String!) { askQuestion(imageId: $id, question: $q) { prompt answer cached } }';
const SUBMIT = 'mutation($input: AnalysisInput!) { submitAnalysis(input: $input) { id } }';
type Asked = { askQuestion: { prompt: string; answer: string; cached: boolean } };
const ask = (imageId: string, question: string) => open.gateway.client.request<Asked>(ASK, { id: imageId, q: question });

const PACKED = `query Packed($id: ID!) { image(id: $id) {
  a1: answer(question: "What colour is it?") { prompt answer cached usage { totalTokens } }
  a2: answer(question: "How wide is it?") { prompt answer cached usage { totalTokens } }
  a3: answer(question: "Is it square?") { prompt answer cached usage { totalTokens } } } }`;
const PACKED_PROMPTS = ['What colour is it?', 'How wide is it?', 'Is it square?'];
type PackedAnswer = { prompt: string; answer: string; cached: boolean; usage: { totalTokens: number } };
type Packed = { image: { a1: PackedAnswer; a2: PackedAnswer; a3: PackedAnswer } | null };

/** What the fake answers about an image, computed from the bytes we uploaded. */
async function expectedAnswers(image: FreshImage): Promise<string[]> {
  const color = await solidColorHex(image.bytes);
  return PACKED_PROMPTS.map((p) => `${image.width}x${image.height} ${color} :: ${p}`);
}

/** The fake's billing (test/fake-qwen/wire.ts usageFor): 1000 + 10n prompt and 20n completion tokens per call of n prompts. */
const billed = (prompts: number) => 1000 + 30 * Math.max(1, prompts);

/** Runs a packed question set against a fault and checks that the fallback (one request per prompt) answered correctly. */
async function expectPackedFallback(image: FreshImage, content: string) {
  const before = open.fake.requests.length;
  open.fake.inject({ kind: 'content', content });
  const response = await open.gateway.client.request<Packed>(PACKED, { id: image.id });
  expect(response.errors).toBeUndefined();
  const got = response.data!.image!;
  expect([got.a1.answer, got.a2.answer, got.a3.answer]).toEqual(await expectedAnswers(image));
  const calls = open.fake.requests.slice(before);
  expect(calls.map((c) => c.packed)).toEqual([true, false, false, false]);
  expect(calls[0]!.prompts).toEqual(PACKED_PROMPTS);
  expect(calls.slice(1).flatMap((c) => c.prompts).sort()).toEqual([...PACKED_PROMPTS].sort());
  // The broken packed call was billed too: its usage is carried by the answers that replaced it.
  expect(got.a1.usage.totalTokens + got.a2.usage.totalTokens + got.a3.usage.totalTokens).toBe(billed(3) + 3 * billed(1));
}

/** Runs a subscription over graphql-ws and returns every event. */
async function subscribe<T>(doc: TypedDocumentNode<T, { id: string }>, id: string) {
  const client = wsClient(open.gateway.server.url);
  try {
    return await collect(client, doc, { id });
  } finally {
    await client.dispose();
  }
}

function expectCode(response: { status: number; errors?: Array<{ extensions?: { code?: unknown } }> }, code: string, status?: number) {
  expect((response.errors ?? []).map((e) => e.extensions?.code)).toEqual([code]);
  if (status !== undefined) expect(response.status).toBe(status);
}

function expectTooComplex(response: RawResponse, limit: string) {
  expectCode(response, 'QUERY_TOO_COMPLEX', 400);
  expect(response.errors![0]!.extensions).toMatchObject({ limit });
}

/** No stack traces, file paths or raw upstream bodies in messages. */
function expectCleanMessages(response: { errors?: Array<{ message: string }> }) {
  for (const error of response.errors ?? []) expect(error.message).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|inappropriate content/);
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

type Area = 'upload' | 'multipart' | 'query' | 'unicode' | 'import' | 'endpoint';

interface Adds {
  images?: number;
  answers?: number;
  jobs?: number;
}

interface HostileCase {
  area: Area;
  name: string;
  /** Before the "before" snapshot: e.g. a fresh image to ask about. */
  prepare?: () => Promise<FreshImage>;
  run: (image: FreshImage) => Promise<void>;
  /** Rows the case stores on purpose; a refusal stores none. */
  adds?: Adds;
  /** Model endpoint calls the case makes; a refusal makes none. */
  upstream?: number;
  /** After the invariants: e.g. the same question succeeds once the endpoint recovers. */
  afterwards?: (image: FreshImage) => Promise<void>;
}

const NO_IMAGE: FreshImage = { id: '', bytes: Buffer.alloc(0), width: 0, height: 0 };

const uploadRefusal = (name: string, bytes: () => Promise<Buffer> | Buffer, code: string, filename = 'photo.png', status = 200): HostileCase => ({
  area: 'upload',
  name,
  run: async () => {
    const response = await upload(await bytes(), filename);
    expectCode(response, code, status);
    expectCleanMessages(response);
  },
});

const noisyImage = (format: FixtureFormat) => async () => {
  // Noise does not compress, so half the file is half the pixels.
  const img = sharp(noise(120 * 90 * 3, 7), { raw: { width: 120, height: 90, channels: 3 } });
  switch (format) {
    case 'png':
      return img.png().toBuffer();
    case 'jpeg':
      return img.jpeg({ quality: 90 }).toBuffer();
    case 'webp':
      return img.webp({ quality: 80 }).toBuffer();
    case 'gif':
      return img.gif().toBuffer();
  }
};
const truncated = (format: FixtureFormat) => async () => {
  const bytes = await noisyImage(format)();
  return bytes.subarray(0, Math.floor(bytes.length * 0.55));
};

const multipartRefusal = (name: string, body: () => Buffer | Promise<Buffer>, status: number, code: string, message?: RegExp): HostileCase => ({
  area: 'multipart',
  name,
  run: async () => {
    const response = await sendMultipart(await body());
    expect(response.status).toBe(status);
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual([code]);
    if (message) expect(response.errors![0]!.message).toMatch(message);
  },
});

const validQuestion = (name: string, question: string, storedPrompt: string): HostileCase => ({
  area: 'unicode',
  name,
  adds: { answers: 1 },
  upstream: 1,
  run: async () => {
    const response = await ask(shared.id, question);
    expect(response.errors).toBeUndefined();
    expect(response.data!.askQuestion.prompt).toBe(storedPrompt);
    // The endpoint was asked the normalized prompt, and the answer shows it arrived intact.
    expect(open.fake.requests.at(-1)!.prompts).toEqual([storedPrompt]);
    expect(response.data!.askQuestion.answer.endsWith(` :: ${storedPrompt}`)).toBe(true);
    const stored = await open.gateway.client.request(ListQuestionsDocument, { filter: { imageId: shared.id, promptContains: storedPrompt }, first: 5 });
    expect(stored.data!.questions.edges.map((e) => e.node.prompt)).toEqual([storedPrompt]);
  },
});

const refusedQuestion = (name: string, question: () => string, message: RegExp): HostileCase => ({
  area: 'unicode',
  name,
  run: async () => {
    const response = await ask(shared.id, question());
    expectCode(response, 'BAD_USER_INPUT');
    expect(response.errors![0]!.message).toMatch(message);
  },
});

const forbiddenImport = (name: string, url: () => string): HostileCase => ({
  area: 'import',
  name,
  run: async () => {
    const response = await importUrl(url());
    expectCode(response, 'FORBIDDEN');
    expect(response.errors![0]!.message).toMatch(/not publicly routable.*IMPORT_ALLOWED_HOSTS/);
  },
});

const endpointFailure = (name: string, faults: Fault[], code: string, extra?: (response: GraphQLResponse<Asked>) => void, afterwards?: HostileCase['afterwards']): HostileCase => ({
  area: 'endpoint',
  name,
  prepare: () => freshImage(),
  upstream: faults.length,
  run: async (image) => {
    open.fake.inject(...faults);
    const started = Date.now();
    const response = await ask(image.id, 'What is in the picture?');
    expectCode(response, code);
    expectCleanMessages(response);
    extra?.(response);
    // Every failure is bounded by QWEN_TIMEOUT_MS, not the SDK's minutes (a backstop: 10 minutes would fail it).
    expect(Date.now() - started).toBeLessThan(LIMITS.qwenTimeoutMs + 30_000);
  },
  // A failed call does not poison the cache: asking again asks again, and now succeeds.
  afterwards:
    afterwards ??
    (async (image) => {
      const again = await ask(image.id, 'What is in the picture?');
      expect(again.errors).toBeUndefined();
      expect(again.data!.askQuestion.cached).toBe(false);
    }),
});

const cases: HostileCase[] = [
  // ---------------------------------------------------------------- uploads: what the bytes are
  {
    area: 'upload',
    name: 'GIF bytes named .png are detected as GIF and stored',
    adds: { images: 1 },
    run: async () => {
      const { bytes } = await freshBytes('gif');
      const response = await upload(bytes, 'photo.png');
      expect(response.errors).toBeUndefined();
      expect(response.data!.uploadImage.mimeType).toBe('image/gif');
    },
  },
  uploadRefusal('a ZIP named .jpg is UNSUPPORTED_MEDIA_TYPE', zipFile, 'UNSUPPORTED_MEDIA_TYPE', 'photo.jpg'),
  uploadRefusal('a PDF named .jpg is UNSUPPORTED_MEDIA_TYPE', pdfFile, 'UNSUPPORTED_MEDIA_TYPE', 'photo.jpg'),
  uploadRefusal('a TIFF named .png is UNSUPPORTED_MEDIA_TYPE', async () => sharp(await makeImage({ format: 'png', width: 20, height: 20 })).tiff().toBuffer(), 'UNSUPPORTED_MEDIA_TYPE'),
  uploadRefusal('an SVG is UNSUPPORTED_MEDIA_TYPE', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><script>alert(1)</script><rect width="64" height="64"/></svg>'), 'UNSUPPORTED_MEDIA_TYPE', 'x.svg'),
  uploadRefusal('an HTML page named .png is UNSUPPORTED_MEDIA_TYPE', () => Buffer.from('<!DOCTYPE html><html><head><title>x</title></head><body><img src=x onerror=alert(1)></body></html>'), 'UNSUPPORTED_MEDIA_TYPE'),
  uploadRefusal('a truncated PNG is BAD_USER_INPUT', truncated('png'), 'BAD_USER_INPUT'),
  uploadRefusal('a truncated JPEG is BAD_USER_INPUT', truncated('jpeg'), 'BAD_USER_INPUT', 'photo.jpg'),
  uploadRefusal('a truncated GIF is BAD_USER_INPUT', truncated('gif'), 'BAD_USER_INPUT', 'anim.gif'),
  uploadRefusal('a truncated WebP is BAD_USER_INPUT', truncated('webp'), 'BAD_USER_INPUT', 'photo.webp'),
  // Eight bytes are not enough to call it a PNG (file-type also wants the IHDR chunk): not a recognised image.
  uploadRefusal('a PNG signature alone (8 bytes) is UNSUPPORTED_MEDIA_TYPE', () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'UNSUPPORTED_MEDIA_TYPE'),
  uploadRefusal('a PNG with a valid IHDR and no image data at all is BAD_USER_INPUT', () => pngHeaderOnly(100, 100), 'BAD_USER_INPUT'),
  uploadRefusal('a PNG with a valid header and garbage image data is BAD_USER_INPUT', () => pngWithGarbageData(100, 100, noise(4000, 3)), 'BAD_USER_INPUT'),
  uploadRefusal('a JPEG with a valid JFIF header and garbage after it is BAD_USER_INPUT', () => Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), noise(3000, 5)]), 'BAD_USER_INPUT', 'photo.jpg'),
  uploadRefusal('a 1×1 PNG (under the endpoint’s 10 px) is BAD_USER_INPUT', () => makeImage({ format: 'png', width: 1, height: 1 }), 'BAD_USER_INPUT'),
  {
    area: 'upload',
    name: 'a decompression bomb (16000×16000 1-bit PNG, ~31 KB) is IMAGE_TOO_LARGE, judged from the header at once',
    run: async () => {
      const bomb = pngBomb(16000, 16000);
      expect(bomb.length).toBeLessThan(LIMITS.uploadBytes);
      const started = Date.now();
      const response = await upload(bomb, 'bomb.png');
      expectCode(response, 'IMAGE_TOO_LARGE');
      expect(response.errors![0]!.message).toMatch(/16000×16000.*MAX_IMAGE_PIXELS/);
      // Judged from the header: a full decode of this many pixels takes far longer (the bound is generous for busy machines).
      expect(Date.now() - started).toBeLessThan(5000);
    },
  },
  {
    area: 'upload',
    name: 'a decompression bomb (30000×30000 1-bit PNG, ~110 KB) is IMAGE_TOO_LARGE, judged from the header at once',
    run: async () => {
      const bomb = pngBomb(30000, 30000);
      expect(bomb.length).toBeLessThan(LIMITS.uploadBytes);
      const started = Date.now();
      const response = await upload(bomb, 'bomb.png');
      // Beyond sharp's own pixel cap (268 MP) the header must still be read, and judged IMAGE_TOO_LARGE, not corrupt.
      expectCode(response, 'IMAGE_TOO_LARGE');
      // Judged from the header: a full decode of this many pixels takes far longer (the bound is generous for busy machines).
      expect(Date.now() - started).toBeLessThan(5000);
    },
  },
  {
    area: 'upload',
    name: 'uploadImages with an empty list is BAD_USER_INPUT',
    run: async () => expectCode(await open.gateway.client.upload(UploadImagesDocument, { files: [] }, []), 'BAD_USER_INPUT'),
  },

  // ---------------------------------------------------------------- uploads: the multipart transport
  multipartRefusal('operations is not JSON', () => multipart([part('operations', '{"query": "mutation'), part('map', UPLOAD_MAP)]), 400, 'BAD_REQUEST', /operations/),
  multipartRefusal('operations is JSON but not an object ("hello")', async () => multipart([part('operations', '"hello"'), part('map', UPLOAD_MAP), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_REQUEST', /operations/),
  multipartRefusal('operations is null', () => multipart([part('operations', 'null'), part('map', '{}')]), 400, 'BAD_REQUEST', /operations/),
  multipartRefusal('map is not JSON', async () => multipart([part('operations', UPLOAD_OPERATIONS), part('map', '{0: [variables.file'), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_REQUEST', /map/),
  multipartRefusal('a map entry is a string, not an array', async () => multipart([part('operations', UPLOAD_OPERATIONS), part('map', '{"0":"variables.file"}'), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_REQUEST', /map/),
  multipartRefusal('a map path to a variable that does not exist leaves $file null', async () => multipart([part('operations', UPLOAD_OPERATIONS), part('map', '{"0":["variables.nope"]}'), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_USER_INPUT', /\$file/),
  multipartRefusal('a map path through objects that do not exist', async () => multipart([part('operations', UPLOAD_OPERATIONS), part('map', '{"0":["variables.a.b.c"]}'), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_REQUEST', /object path/),
  {
    ...multipartRefusal('a map path into __proto__ (prototype pollution)', async () => multipart([part('operations', UPLOAD_OPERATIONS), part('map', '{"0":["__proto__.polluted"]}'), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_REQUEST'),
    afterwards: async () => expect(({} as Record<string, unknown>).polluted).toBeUndefined(),
  },
  multipartRefusal('a map referencing a file that is never sent', () => multipart([part('operations', UPLOAD_OPERATIONS), part('map', UPLOAD_MAP)]), 400, 'BAD_USER_INPUT', /File missing/),
  multipartRefusal(
    'a body truncated in the middle of the file',
    async () => multipart([part('operations', UPLOAD_OPERATIONS), part('map', UPLOAD_MAP), part('0', (await noisyImage('png')()).subarray(0, 600), 'a.png').subarray(0, 500)], false),
    400,
    'BAD_USER_INPUT',
    /ended before the whole file arrived/,
  ),
  multipartRefusal('a file part before operations', async () => multipart([part('0', (await freshBytes()).bytes, 'a.png'), part('operations', UPLOAD_OPERATIONS), part('map', UPLOAD_MAP)]), 400, 'BAD_REQUEST', /Misordered/),
  multipartRefusal('no map field at all', async () => multipart([part('operations', UPLOAD_OPERATIONS), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_REQUEST'),
  {
    area: 'multipart',
    name: 'a multipart content type without a boundary',
    run: async () => {
      const body = multipart([part('operations', UPLOAD_OPERATIONS), part('map', UPLOAD_MAP)]);
      const response = await sendMultipart(body, { 'content-type': 'multipart/form-data', 'apollo-require-preflight': 'true' });
      expectCode(response, 'BAD_REQUEST', 400);
    },
  },
  multipartRefusal(
    'a file mapped onto a String variable (askQuestion.question)',
    async () =>
      multipart([
        part('operations', JSON.stringify({ query: 'mutation($id: ID!, $q: String!) { askQuestion(imageId: $id, question: $q) { id } }', variables: { id: shared.id, q: null } })),
        part('map', '{"0":["variables.q"]}'),
        part('0', (await freshBytes()).bytes, 'a.png'),
      ]),
    400,
    'BAD_USER_INPUT',
    /String cannot represent/,
  ),
  multipartRefusal('a batch of operations in one multipart request', async () => multipart([part('operations', `[${UPLOAD_OPERATIONS}]`), part('map', '{"0":["0.variables.file"]}'), part('0', (await freshBytes()).bytes, 'a.png')]), 400, 'BAD_REQUEST', /batching/i),
  multipartRefusal(
    'an operations field over 1 MiB',
    async () => multipart([part('operations', JSON.stringify({ query: 'mutation($file: Upload!, $pad: String) { uploadImage(file: $file) { id } }', variables: { file: null, pad: 'x'.repeat(1_100_000) } })), part('map', UPLOAD_MAP), part('0', (await freshBytes()).bytes, 'a.png')]),
    413,
    'PAYLOAD_TOO_LARGE',
  ),

  // ---------------------------------------------------------------- queries: limits and malformed requests
  {
    area: 'query',
    name: 'a 1 MB question in the variables is refused by the variables limit before anything runs',
    run: async () => expectTooComplex(await postJson({ query: ASK, variables: { id: shared.id, q: 'Why? '.repeat(200_000) } }), 'QUERY_MAX_VARIABLES_BYTES'),
  },
  {
    area: 'query',
    name: 'a JSON body over 1 MiB (a 1 MB question inline in the document) is 413 PAYLOAD_TOO_LARGE',
    run: async () => expectCode(await postJson({ query: `mutation { askQuestion(imageId: "${shared.id}", question: "${'Why '.repeat(280_000)}") { id } }` }), 'PAYLOAD_TOO_LARGE', 413),
  },
  {
    area: 'query',
    name: 'deeply nested JSON variables (20 000 levels, a 40 KB body) are refused as input, not a server error',
    run: async () => {
      const nested = '['.repeat(20_000) + ']'.repeat(20_000);
      const response = await rawPost(open.gateway.server.url, `{"query":"{ __typename }","variables":{"x":${nested}}}`);
      // Nesting too deep to serialize must be a client error, not a stack overflow answered with 500.
      expect(response.status).toBe(400);
      expect(errorCodes(response as GraphQLResponse<unknown>)).not.toContain('INTERNAL_SERVER_ERROR');
    },
  },
  {
    area: 'query',
    name: 'an unknown image id: image(id) is null, captionImage and askQuestion are NOT_FOUND',
    run: async () => {
      const id = randomUUID();
      const read = await open.gateway.client.request(GetImageDocument, { id });
      expect(read.errors).toBeUndefined();
      expect(read.data!.image).toBeNull();
      expectCode(await open.gateway.client.request(CaptionImageDocument, { imageId: id }), 'NOT_FOUND');
      expectCode(await ask(id, 'Anything?'), 'NOT_FOUND');
    },
  },
  {
    area: 'query',
    name: 'an unknown job id: job(id) is null, cancelJob, jobCompleted and jobUpdated are NOT_FOUND',
    run: async () => {
      const id = randomUUID();
      expect((await open.gateway.client.request(GetJobDocument, { id })).data!.job).toBeNull();
      expectCode(await open.gateway.client.request(CancelJobDocument, { id }), 'NOT_FOUND');
      const completed = await subscribe(JobCompletedDocument, id);
      const updated = await subscribe(JobUpdatedDocument, id);
      for (const events of [completed, updated]) {
        expect(events).toHaveLength(1);
        expect(errorCodes(events[0]!)).toEqual(['NOT_FOUND']);
      }
    },
  },
  {
    area: 'query',
    name: 'submitAnalysis with one unknown image among known ones creates no job',
    run: async () => expectCode(await open.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [shared.id, randomUUID()], questions: ['Q?'] } }), 'NOT_FOUND'),
  },
  {
    area: 'query',
    name: 'submitAnalysis with a control character in one question creates no job',
    run: async () => expectCode(await open.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [shared.id], questions: ['Fine?', 'Bad\u0007bell?'] } }), 'BAD_USER_INPUT'),
  },
  {
    area: 'query',
    name: 'submitAnalysis with no images creates no job',
    run: async () => expectCode(await open.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [], questions: ['Q?'] } }), 'BAD_USER_INPUT'),
  },
  {
    area: 'query',
    name: 'an invalid enum literal in the document is GRAPHQL_VALIDATION_FAILED (400)',
    run: async () => expectCode(await postJson({ query: `mutation { captionImage(imageId: "${shared.id}", style: LOUD) { text } }` }), 'GRAPHQL_VALIDATION_FAILED', 400),
  },
  {
    area: 'query',
    name: 'an invalid enum value in a variable is BAD_USER_INPUT (400)',
    run: async () => expectCode(await postJson({ query: 'mutation($id: ID!, $s: CaptionStyle) { captionImage(imageId: $id, style: $s) { text } }', variables: { id: shared.id, s: 'LOUD' } }), 'BAD_USER_INPUT', 400),
  },
  {
    area: 'query',
    name: 'an invalid enum inside an input object (submitAnalysis captionStyles) is BAD_USER_INPUT (400)',
    run: async () => expectCode(await postJson({ query: SUBMIT, variables: { input: { imageIds: [shared.id], captionStyles: ['brief'] } } }), 'BAD_USER_INPUT', 400),
  },
  {
    area: 'query',
    name: 'a number where a String! variable is expected is BAD_USER_INPUT (400)',
    run: async () => expectCode(await postJson({ query: ASK, variables: { id: shared.id, q: 42 } }), 'BAD_USER_INPUT', 400),
  },
  {
    area: 'query',
    name: 'a string where an Int variable is expected is BAD_USER_INPUT (400)',
    run: async () => expectCode(await postJson({ query: 'query($n: Int) { images(first: $n) { edges { cursor } } }', variables: { n: 'ten' } }), 'BAD_USER_INPUT', 400),
  },
  {
    area: 'query',
    name: 'an object where a Boolean variable is expected is BAD_USER_INPUT (400)',
    run: async () => expectCode(await postJson({ query: 'mutation($id: ID!, $r: Boolean) { captionImage(imageId: $id, refresh: $r) { text } }', variables: { id: shared.id, r: { yes: true } } }), 'BAD_USER_INPUT', 400),
  },
  {
    area: 'query',
    name: 'a missing required variable is BAD_USER_INPUT (400)',
    run: async () => expectCode(await postJson({ query: ASK, variables: { id: shared.id } }), 'BAD_USER_INPUT', 400),
  },
  {
    area: 'query',
    name: 'an unknown field in an input object variable (__proto__) is BAD_USER_INPUT (400)',
    run: async () => expectCode(await rawPost(open.gateway.server.url, '{"query":"query($f: QuestionFilter) { questions(filter: $f) { edges { cursor } } }","variables":{"f":{"__proto__":{"promptContains":"x"}}}}'), 'BAD_USER_INPUT', 400),
  },
  {
    area: 'query',
    name: 'an invalid DateTime literal is GRAPHQL_VALIDATION_FAILED (400)',
    run: async () => expectCode(await postJson({ query: '{ questions(filter: { createdAfter: "yesterday" }) { edges { cursor } } }' }), 'GRAPHQL_VALIDATION_FAILED', 400),
  },
  { area: 'query', name: 'a page size over 100 is BAD_USER_INPUT', run: async () => expectCode(await postJson({ query: '{ images(first: 1000) { edges { cursor } } }' }), 'BAD_USER_INPUT') },
  { area: 'query', name: 'a negative page size is BAD_USER_INPUT', run: async () => expectCode(await postJson({ query: '{ images(first: -1) { edges { cursor } } }' }), 'BAD_USER_INPUT') },
  { area: 'query', name: 'a forged cursor is BAD_USER_INPUT', run: async () => expectCode(await postJson({ query: `{ images(after: "${Buffer.from('["x", 1]').toString('base64')}") { edges { cursor } } }` }), 'BAD_USER_INPUT') },
  {
    area: 'query',
    name: 'a document 5000 selections deep is QUERY_TOO_COMPLEX (400, too many tokens to parse), not a crash',
    run: async () => expectCode(await postJson({ query: '{' + ' a {'.repeat(5000) + ' }'.repeat(5001) }), 'QUERY_TOO_COMPLEX', 400),
  },
  { area: 'query', name: 'a malformed JSON body is 400', run: async () => expectCode(await rawPost(open.gateway.server.url, '{"query": "{ images { edges'), 'BAD_REQUEST', 400) },
  { area: 'query', name: 'a non-string query is 400', run: async () => expectCode(await postJson({ query: 42 }), 'BAD_REQUEST', 400) },
  { area: 'query', name: 'an empty body is 400', run: async () => expectCode(await rawPost(open.gateway.server.url, ''), 'BAD_REQUEST', 400) },
  { area: 'query', name: 'an operationName that names no operation is 400', run: async () => expectCode(await postJson({ query: 'query A { __typename }', operationName: 'B' }), 'OPERATION_RESOLUTION_FAILURE', 400) },
  {
    area: 'query',
    name: 'a text/plain POST (a CSRF-able simple request) is refused with 400',
    run: async () => {
      const response = await rawPost(open.gateway.server.url, JSON.stringify({ query: SUBMIT, variables: { input: { imageIds: [shared.id], questions: ['CSRF?'] } } }), { 'content-type': 'text/plain' });
      expectCode(response, 'BAD_REQUEST', 400);
      expect(response.errors![0]!.message).toMatch(/Cross-Site Request Forgery/);
    },
  },
  {
    area: 'query',
    name: 'GET with a mutation is refused with 405 and runs nothing',
    run: async () => {
      const query = `mutation { submitAnalysis(input: { imageIds: ["${shared.id}"], questions: ["Via GET?"] }) { id } }`;
      const response = await readResponse(await fetch(`${open.gateway.server.url}?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true' } }));
      expectCode(response, 'BAD_REQUEST', 405);
      expect(response.errors![0]!.message).toMatch(/mutation/);
    },
  },
  {
    area: 'query',
    name: 'GET with a mutation and no preflight header is refused as CSRF (400)',
    run: async () => {
      const query = `mutation { submitAnalysis(input: { imageIds: ["${shared.id}"], questions: ["Via GET?"] }) { id } }`;
      const response = await readResponse(await fetch(`${open.gateway.server.url}?query=${encodeURIComponent(query)}`));
      expectCode(response, 'BAD_REQUEST', 400);
    },
  },
  {
    area: 'query',
    name: 'a subscription sent over HTTP POST is a client error, not an internal one',
    run: async () => {
      const response = await postJson({ query: `subscription { jobCompleted(id: "${randomUUID()}") { id } }` });
      // Subscriptions run over graphql-ws; over HTTP they are refused with 400, not failed deep in execution.
      expect(errorCodes(response as GraphQLResponse<unknown>)).not.toContain('INTERNAL_SERVER_ERROR');
      expect(response.status).toBe(400);
    },
  },

  // ---------------------------------------------------------------- questions: length and odd Unicode
  refusedQuestion(`a question of MAX_QUESTION_LENGTH + 1 characters`, () => 'Q'.repeat(LIMITS.questionLength + 1), /MAX_QUESTION_LENGTH/),
  validQuestion('a question padded with whitespace far past the limit is judged after normalization', `   ${'W'.repeat(LIMITS.questionLength - 1)}?${' \t\n'.repeat(400)}`, `${'W'.repeat(LIMITS.questionLength - 1)}?`),
  refusedQuestion('a whitespace-only question (spaces, NBSP, ideographic space)', () => ' \u00a0\u3000\t\n ', /empty/),
  refusedQuestion('a NUL byte in the question', () => 'What is\u0000 this?', /control characters/),
  refusedQuestion('an ANSI escape sequence in the question', () => 'Colour \u001b[31mred\u001b[0m?', /control characters/),
  refusedQuestion('a C1 control (U+0085 NEXT LINE) in the question', () => 'Line\u0085break?', /control characters/),
  {
    area: 'unicode',
    name: 'a lone surrogate ("\\ud800" in the JSON) is refused as invalid Unicode',
    run: async () => {
      const body = `{"query":${JSON.stringify(ASK)},"variables":{"id":"${shared.id}","q":"Why \\ud800 here?"}}`;
      const response = await rawPost(open.gateway.server.url, body);
      // A lone surrogate is not text: stored, it would come back mangled and never match the cache key again.
      expectCode(response, 'BAD_USER_INPUT');
    },
  },
  validQuestion('RTL/LTR override characters are valid Unicode: kept as sent', 'Is the sign \u202eNWOD\u202c or \u202dUP\u202c?', 'Is the sign \u202eNWOD\u202c or \u202dUP\u202c?'),
  validQuestion('zero-width joiners in an emoji sequence are kept intact', 'Is 👩\u200d💻 or 🏳️\u200d🌈 in the picture?', 'Is 👩\u200d💻 or 🏳️\u200d🌈 in the picture?'),
  validQuestion('Unicode spaces (NBSP, ideographic space, tabs, newlines) are collapsed and trimmed', '\u3000What\u00a0is\t\tthis\n\n thing?\u2003', 'What is this thing?'),
  {
    area: 'unicode',
    name: 'a decomposed question (NFD) is stored as NFC and shares the cache with the composed one',
    adds: { answers: 1 },
    upstream: 1,
    run: async () => {
      const decomposed = await ask(shared.id, 'Is this a cafe\u0301 or a re\u0301sume\u0301?');
      expect(decomposed.errors).toBeUndefined();
      expect(decomposed.data!.askQuestion).toMatchObject({ prompt: 'Is this a café or a résumé?', cached: false });
      const composed = await ask(shared.id, 'Is this a café or a résumé?');
      expect(composed.data!.askQuestion).toMatchObject({ prompt: 'Is this a café or a résumé?', answer: decomposed.data!.askQuestion.answer, cached: true });
    },
  },

  // ---------------------------------------------------------------- importImage: SSRF and hostile origins
  forbiddenImport('a 10.x private address', () => 'http://10.0.0.1/photo.png'),
  forbiddenImport('a 192.168.x private address', () => 'http://192.168.1.1/photo.png'),
  forbiddenImport('a 172.16.x private address', () => 'http://172.16.0.1/photo.png'),
  forbiddenImport('the cloud metadata address 169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
  forbiddenImport('IPv6 loopback [::1]', () => 'http://[::1]/photo.png'),
  forbiddenImport('an IPv6 unique-local address [fd00::1]', () => 'http://[fd00::1]/photo.png'),
  forbiddenImport('0.0.0.0', () => 'http://0.0.0.0/photo.png'),
  forbiddenImport('localhost (resolved, then refused)', () => 'http://localhost/photo.png'),
  forbiddenImport('localhost on the allow-listed port (only 127.0.0.1:port is allowed, not the name)', () => `http://localhost:${origin.port}/photo.png`),
  forbiddenImport('127.0.0.1 on a port that is not allow-listed', () => `http://127.0.0.1:${origin.port + 1}/photo.png`),
  forbiddenImport('an IPv4-mapped IPv6 private address [::ffff:10.0.0.1]', () => 'http://[::ffff:10.0.0.1]/photo.png'),
  forbiddenImport('the 127.1 shorthand for loopback', () => 'http://127.1/photo.png'),
  forbiddenImport('a CGNAT address 100.64.0.1', () => 'http://100.64.0.1/photo.png'),
  forbiddenImport('an allow-listed origin redirecting to 169.254.169.254', () => `${origin.url}/to-metadata`),
  forbiddenImport('an allow-listed origin redirecting to 10.0.0.1', () => `${origin.url}/to-private`),
  forbiddenImport('an allow-listed origin redirecting to [::1]', () => `${origin.url}/to-v6-loopback`),
  forbiddenImport('an allow-listed origin redirecting to localhost on its own port', () => `${origin.url}/to-localhost`),
  {
    area: 'import',
    name: 'a non-http scheme (gopher:, file:, javascript:) is BAD_USER_INPUT',
    run: async () => {
      for (const url of ['gopher://127.0.0.1:6379/_FLUSHALL', 'file:///etc/passwd', 'javascript:alert(1)']) expectCode(await importUrl(url), 'BAD_USER_INPUT');
    },
  },
  {
    area: 'import',
    name: 'a slow body times out after IMPORT_TIMEOUT_MS with BAD_USER_INPUT',
    run: async () => {
      const started = Date.now();
      const response = await importUrl(`${origin.url}/slow`);
      expectCode(response, 'BAD_USER_INPUT');
      expect(response.errors![0]!.message).toMatch(/IMPORT_TIMEOUT_MS/);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(LIMITS.importTimeoutMs - 100);
      expect(elapsed).toBeLessThan(LIMITS.importTimeoutMs + 30_000); // a backstop: the body would never end
    },
  },
  {
    area: 'import',
    name: 'an endless body stops at MAX_UPLOAD_BYTES with PAYLOAD_TOO_LARGE',
    run: async () => {
      const response = await importUrl(`${origin.url}/endless`);
      expectCode(response, 'PAYLOAD_TOO_LARGE', 413);
    },
  },
  {
    area: 'import',
    name: 'an origin answering HTTP 500 is BAD_USER_INPUT',
    run: async () => expectCode(await importUrl(`${origin.url}/error`), 'BAD_USER_INPUT'),
  },
  {
    area: 'import',
    name: 'an HTML page served as image/png is UNSUPPORTED_MEDIA_TYPE',
    run: async () => expectCode(await importUrl(`${origin.url}/html`), 'UNSUPPORTED_MEDIA_TYPE'),
  },
  {
    area: 'import',
    name: 'a redirect loop is BAD_USER_INPUT',
    run: async () => {
      const response = await importUrl(`${origin.url}/loop`);
      expectCode(response, 'BAD_USER_INPUT');
      expect(response.errors![0]!.message).toMatch(/redirect/i);
    },
  },
  {
    area: 'import',
    name: 'a decompression bomb served by the origin is IMAGE_TOO_LARGE',
    run: async () => expectCode(await importUrl(`${origin.url}/bomb`), 'IMAGE_TOO_LARGE'),
  },

  // ---------------------------------------------------------------- the model endpoint misbehaves
  endpointFailure('429 with Retry-After is MODEL_RATE_LIMITED with retryAfter', [{ kind: 'status', status: 429, retryAfter: '7' }], 'MODEL_RATE_LIMITED', (r) => expect(r.errors![0]!.extensions).toMatchObject({ retryAfter: 7 })),
  endpointFailure('429 without Retry-After is MODEL_RATE_LIMITED without retryAfter', [{ kind: 'status', status: 429 }], 'MODEL_RATE_LIMITED', (r) => expect(r.errors![0]!.extensions).not.toHaveProperty('retryAfter')),
  endpointFailure('500 is MODEL_UNAVAILABLE', [{ kind: 'status', status: 500 }], 'MODEL_UNAVAILABLE'),
  endpointFailure('503 is MODEL_UNAVAILABLE', [{ kind: 'status', status: 503 }], 'MODEL_UNAVAILABLE'),
  endpointFailure('a hang past QWEN_TIMEOUT_MS is MODEL_UNAVAILABLE', [{ kind: 'hang' }], 'MODEL_UNAVAILABLE'),
  endpointFailure('a connection reset is MODEL_UNAVAILABLE', [{ kind: 'reset' }], 'MODEL_UNAVAILABLE'),
  endpointFailure('a reset in the middle of the body is MODEL_UNAVAILABLE', [{ kind: 'reset-mid-body' }], 'MODEL_UNAVAILABLE'),
  endpointFailure('a truncated, non-JSON body is MODEL_BAD_RESPONSE', [{ kind: 'garbage' }], 'MODEL_BAD_RESPONSE'),
  endpointFailure('empty choices are MODEL_BAD_RESPONSE', [{ kind: 'empty-choices' }], 'MODEL_BAD_RESPONSE'),
  endpointFailure('null content is MODEL_BAD_RESPONSE', [{ kind: 'content', content: null }], 'MODEL_BAD_RESPONSE'),
  endpointFailure('a whitespace-only answer is MODEL_BAD_RESPONSE', [{ kind: 'content', content: ' \n\t ' }], 'MODEL_BAD_RESPONSE'),
  endpointFailure('a content refusal (400 data_inspection_failed) is MODEL_REJECTED', [{ kind: 'status', status: 400 }], 'MODEL_REJECTED', undefined, async (image) => {
    // Remembered for MODEL_REFUSAL_TTL_SECONDS: asking again is refused without another upstream request.
    const upstream = open.fake.requests.length;
    expectCode(await ask(image.id, 'What is in the picture?'), 'MODEL_REJECTED');
    expect(open.fake.requests.length).toBe(upstream);
  }),
  endpointFailure('the endpoint refusing the API key (401) is MODEL_NOT_CONFIGURED', [{ kind: 'status', status: 401 }], 'MODEL_NOT_CONFIGURED'),
  {
    area: 'endpoint',
    name: 'a 503 on captionImage is MODEL_UNAVAILABLE and stores no caption',
    prepare: () => freshImage(),
    upstream: 1,
    run: async (image) => {
      open.fake.inject({ kind: 'status', status: 503 });
      expectCode(await open.gateway.client.request(CaptionImageDocument, { imageId: image.id, style: 'DETAILED' }), 'MODEL_UNAVAILABLE');
    },
  },
  {
    area: 'endpoint',
    name: 'a packed reply with the wrong number of answers falls back to one request per prompt',
    prepare: () => freshImage(),
    upstream: 4,
    adds: { answers: 3 },
    run: (image) => expectPackedFallback(image, '{"answers":["only one"]}'),
  },
  {
    area: 'endpoint',
    name: 'a packed reply cut off mid-JSON falls back to one request per prompt',
    prepare: () => freshImage(),
    upstream: 4,
    adds: { answers: 3 },
    run: (image) => expectPackedFallback(image, '{"answers":["blue", "thirty pix'),
  },
  {
    area: 'endpoint',
    name: 'a packed reply with non-string answers falls back to one request per prompt',
    prepare: () => freshImage(),
    upstream: 4,
    adds: { answers: 3 },
    run: (image) => expectPackedFallback(image, '{"answers":[1, null, {"a": "b"}]}'),
  },
  {
    area: 'endpoint',
    name: 'a packed reply inside a Markdown code fence is accepted as is (no fallback)',
    prepare: () => freshImage(),
    upstream: 1,
    adds: { answers: 3 },
    run: async (image) => {
      const answers = await expectedAnswers(image);
      open.fake.inject({ kind: 'content', content: '```json\n' + JSON.stringify({ answers }) + '\n```' });
      const response = await open.gateway.client.request<Packed>(PACKED, { id: image.id });
      expect(response.errors).toBeUndefined();
      const got = response.data!.image!;
      expect([got.a1.answer, got.a2.answer, got.a3.answer]).toEqual(answers);
    },
  },
  {
    area: 'endpoint',
    name: 'a job whose only upstream call fails ends FAILED with the item’s code and stores no answer',
    prepare: () => freshImage(),
    upstream: 1,
    adds: { jobs: 1 },
    run: async (image) => {
      open.fake.inject({ kind: 'status', status: 502 });
      const submitted = await open.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['In a job?'] } });
      expect(submitted.errors).toBeUndefined();
      const jobId = submitted.data!.submitAnalysis.id;
      const events = await subscribe(JobCompletedDocument, jobId);
      expect(events[0]!.data!.jobCompleted).toMatchObject({ status: 'FAILED', done: 0, failed: 1 });
      const job = (await open.gateway.client.request(GetJobDocument, { id: jobId })).data!.job!;
      expect(job.items.map((i) => [i.status, i.errorCode])).toEqual([['FAILED', 'MODEL_UNAVAILABLE']]);
      expect(job.questions).toEqual([]);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The harness around every case
// ---------------------------------------------------------------------------------------------

const COUNTS = `{
  images(first: 100) { edges { cursor } pageInfo { hasNextPage } }
  questions(first: 100) { edges { cursor } pageInfo { hasNextPage } }
  captions(first: 100) { edges { cursor } pageInfo { hasNextPage } }
  jobs(first: 100) { edges { cursor } pageInfo { hasNextPage } }
}`;
type Conn = { edges: unknown[]; pageInfo: { hasNextPage: boolean } };
type CountsData = { images: Conn; questions: Conn; captions: Conn; jobs: Conn };

async function rowCounts(client: GraphQLClient): Promise<Required<Adds>> {
  const response = await client.request<CountsData>(COUNTS);
  expect(response.errors).toBeUndefined();
  const data = response.data!;
  // Pages of 100 count exactly only while no list has more.
  for (const conn of Object.values(data)) expect(conn.pageInfo.hasNextPage).toBe(false);
  return { images: data.images.edges.length, answers: data.questions.edges.length + data.captions.edges.length, jobs: data.jobs.edges.length };
}

async function snapshot() {
  return {
    rows: await rowCounts(open.gateway.client),
    blobs: (await filesUnder(path.join(open.gateway.dataDir, 'blobs'))).length,
    upstream: open.fake.requests.length,
  };
}

beforeAll(async () => {
  importBomb = pngBomb(16000, 16000);
  const png = await makeImage({ format: 'png', width: 30, height: 30, color: '#102030' });
  origin = await startOrigin({
    '/photo.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png),
    '/to-metadata': (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    '/to-private': (_req, res) => res.writeHead(301, { location: 'http://10.0.0.1/photo.png' }).end(),
    '/to-v6-loopback': (_req, res) => res.writeHead(307, { location: 'http://[::1]/photo.png' }).end(),
    '/to-localhost': (_req, res) => res.writeHead(308, { location: `http://localhost:${origin.port}/photo.png` }).end(),
    '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
    '/slow': (_req, res) => slowBody(res, 200),
    '/endless': (_req, res) => endlessBody(res),
    '/error': (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error'),
    '/html': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('<!DOCTYPE html><html><body>Not an image</body></html>'),
    '/bomb': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(importBomb),
  });
  open = await startHarness({
    env: {
      MAX_UPLOAD_BYTES: String(LIMITS.uploadBytes),
      MAX_IMAGE_PIXELS: String(LIMITS.imagePixels),
      MAX_QUESTION_LENGTH: String(LIMITS.questionLength),
      QWEN_TIMEOUT_MS: String(LIMITS.qwenTimeoutMs),
      QWEN_MAX_RETRIES: '0',
      JOB_ITEM_RETRIES: '0',
      // Dozens of injected failures must not open the circuit breaker on later cases.
      CIRCUIT_MIN_REQUESTS: '1000000',
      IMPORT_TIMEOUT_MS: String(LIMITS.importTimeoutMs),
      IMPORT_ALLOWED_HOSTS: `127.0.0.1:${origin.port}`,
    },
  });
  shared = await freshImage();
});

afterAll(async () => {
  await open?.close();
  await origin?.close();
});

describe('hostile input', () => {
  it('has a table of distinct cases', () => {
    const names = cases.map((c) => `${c.area}: ${c.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('$area: $name', async (c) => {
    open.fake.reset();
    const image = c.prepare ? await c.prepare() : NO_IMAGE;
    const before = await snapshot();

    await c.run(image);

    // Nothing stored half-way: rows, blobs, temporary files.
    const after = await snapshot();
    const adds = { images: 0, answers: 0, jobs: 0, ...c.adds };
    expect(after.rows).toEqual({ images: before.rows.images + adds.images, answers: before.rows.answers + adds.answers, jobs: before.rows.jobs + adds.jobs });
    expect(after.blobs).toBe(before.blobs + adds.images);
    await expect.poll(() => filesUnder(path.join(open.gateway.dataDir, 'tmp')), { timeout: 20_000 }).toEqual([]);
    // The model endpoint was asked exactly as often as the case allows (refusals: never).
    expect(after.upstream - before.upstream).toBe(c.upstream ?? 0);

    await c.afterwards?.(image);

    // Still serving.
    const alive = await open.gateway.client.request('{ images(first: 1) { edges { cursor } } }');
    expect(alive.status).toBe(200);
    expect(alive.errors).toBeUndefined();
  });
});
