import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AskQuestionDocument,
  CancelJobDocument,
  CaptionImageDocument,
  GetImageDocument,
  GetJobDocument,
  JobCompletedDocument,
  ListImagesDocument,
  ListJobsDocument,
  ListQuestionsDocument,
  SubmitAnalysisDocument,
} from '../generated/graphql.js';
import { collect, errorCodes, GraphQLClient, wsClient } from '../support/client.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { makeImage } from '../support/images.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

describe('open mode', () => {
  it('serves without keys until the first key exists, then requires one', async () => {
    const h = await startHarness();
    try {
      expect((await h.gateway.client.request(ListImagesDocument, {})).status).toBe(200);
      // The operator's CLI, against the same data folder, as a separate process.
      const { stdout } = await run('npx', ['tsx', 'src/cli/keys.ts', 'create', '--tenant', 'acme'], { cwd: ROOT, env: { ...process.env, DATA_DIR: h.gateway.dataDir } });
      const key = stdout.trim().split('\n').at(-1)!;
      expect(key).toMatch(/^qvg_[A-Za-z0-9_-]{40,}$/);
      const listed = await run('npx', ['tsx', 'src/cli/keys.ts', 'list'], { cwd: ROOT, env: { ...process.env, DATA_DIR: h.gateway.dataDir } });
      expect(listed.stdout).toContain('acme');
      expect(listed.stdout).not.toContain(key);

      const anonymous = await h.gateway.client.request(ListImagesDocument, {});
      expect(anonymous.status).toBe(401);
      expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
      const authed = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
      expect((await authed.request(ListImagesDocument, {})).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('AUTH_REQUIRED=true demands keys even before the first exists', async () => {
    const h = await startHarness({ env: { AUTH_REQUIRED: 'true' } });
    try {
      expect(errorCodes(await h.gateway.client.request(ListImagesDocument, {}))).toEqual(['UNAUTHENTICATED']);
    } finally {
      await h.close();
    }
  });
});

describe('with keys', () => {
  let h: Harness;
  let alice: GraphQLClient;
  let bob: GraphQLClient;
  let aliceKey: string;
  let bobKey: string;

  beforeAll(async () => {
    h = await startHarness();
    const keys = h.gateway.app.services.keys;
    aliceKey = (await keys.create({ tenant: 'alice' })).key;
    bobKey = (await keys.create({ tenant: 'bob' })).key;
    alice = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${aliceKey}` });
    bob = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${bobKey}` });
  });
  afterAll(() => h.close());

  it.each([
    ['no header', {}],
    ['a malformed header', { authorization: 'Basic abc' }],
    ['an unknown key', { authorization: 'Bearer qvg_not-a-real-key' }],
  ])('refuses %s with 401 UNAUTHENTICATED, before reading an upload', async (_name, headers) => {
    const client = new GraphQLClient(h.gateway.server.url, headers);
    const response = await client.upload('mutation($file: Upload!) { uploadImage(file: $file) { id } }', { file: null }, [
      { path: 'variables.file', file: { name: 'a.png', bytes: await makeImage({ format: 'png', width: 12, height: 12 }) } },
    ]);
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a revoked key', async () => {
    const keys = h.gateway.app.services.keys;
    const { record, key } = await keys.create({ tenant: 'carol' });
    const carol = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
    expect((await carol.request(ListImagesDocument, {})).status).toBe(200);
    await keys.revoke(record.id);
    expect(errorCodes(await carol.request(ListImagesDocument, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('keeps each tenant’s data to itself: another tenant’s ids behave like ids that do not exist', async () => {
    const image = await uploadNew(alice, { format: 'png', width: 50, height: 40, color: '#5a5a10' });
    const asked = (await alice.request(AskQuestionDocument, { imageId: image.id, question: 'Private?' })).data!.askQuestion;
    const job = (await alice.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], captionStyles: ['BRIEF'] } })).data!.submitAnalysis;

    expect((await bob.request(GetImageDocument, { id: image.id })).data!.image).toBeNull();
    expect(errorCodes(await bob.request(CaptionImageDocument, { imageId: image.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await bob.request(AskQuestionDocument, { imageId: image.id, question: 'Private?' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await bob.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Q?'] } }))).toEqual(['NOT_FOUND']);
    expect((await bob.request(ListImagesDocument, { first: 100 })).data!.images.edges.map((e) => e.node.id)).not.toContain(image.id);
    expect((await bob.request(ListQuestionsDocument, { first: 100 })).data!.questions.edges.map((e) => e.node.id)).not.toContain(asked.id);
    expect((await bob.request(GetJobDocument, { id: job.id })).data!.job).toBeNull();
    expect(errorCodes(await bob.request(CancelJobDocument, { id: job.id }))).toEqual(['NOT_FOUND']);
    expect((await bob.request(ListJobsDocument, { first: 100 })).data!.jobs.edges.map((e) => e.node.id)).not.toContain(job.id);

    const bobSocket = wsClient(h.gateway.server.url, { authorization: `Bearer ${bobKey}` });
    const events = await collect(bobSocket, JobCompletedDocument, { id: job.id });
    await bobSocket.dispose();
    expect(errorCodes(events[0]!)).toEqual(['NOT_FOUND']);

    const aliceSocket = wsClient(h.gateway.server.url, { authorization: `Bearer ${aliceKey}` });
    const done = await collect(aliceSocket, JobCompletedDocument, { id: job.id });
    await aliceSocket.dispose();
    expect(done[0]!.data!.jobCompleted.status).toBe('SUCCEEDED');
  });

  it('closes a WebSocket without a valid key with 4401', async () => {
    const codes: number[] = [];
    const client = wsClient(h.gateway.server.url, { authorization: 'Bearer wrong' });
    client.on('closed', (event) => codes.push((event as { code: number }).code));
    await expect(collect(client, JobCompletedDocument, { id: 'x' })).rejects.toBeTruthy();
    expect(codes).toContain(4401);
    await client.dispose();
  });
});

describe('rate limits and token budgets', () => {
  it('answers RATE_LIMITED with retryAfter past the per-minute limit', async () => {
    const h = await startHarness();
    try {
      const { key } = await h.gateway.app.services.keys.create({ tenant: 'busy', requestsPerMinute: 3 });
      const client = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
      for (let i = 0; i < 3; i++) expect((await client.request(ListImagesDocument, {})).status).toBe(200);
      const limited = await client.request(ListImagesDocument, {});
      expect(limited.status).toBe(429);
      expect(limited.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(limited.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it('stops upstream calls once the day’s tokens are spent, still serves the cache, and never bills failures', async () => {
    // A call about this image reserves about 940 tokens (900 for the answer) and is billed 1030 at the fake.
    const h = await startHarness({ env: { TOKEN_RESERVE_PER_ANSWER: '900' } });
    try {
      const { key } = await h.gateway.app.services.keys.create({ tenant: 'thrifty', tokensPerDay: 1500 });
      const client = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
      const image = await uploadNew(client, { format: 'png', width: 30, height: 30 });

      h.fake.inject({ kind: 'status', status: 500 });
      expect(errorCodes(await client.request(AskQuestionDocument, { imageId: image.id, question: 'Fails?' }))).toEqual(['MODEL_UNAVAILABLE']);
      // Fits only because the failed call's reservation was given back.
      expect((await client.request(AskQuestionDocument, { imageId: image.id, question: 'One?' })).errors).toBeUndefined();
      const asked = h.fake.requests.length;

      const refused = await client.request(AskQuestionDocument, { imageId: image.id, question: 'Two?' });
      expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
      expect(refused.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
      expect(h.fake.requests).toHaveLength(asked);
      expect((await client.request(AskQuestionDocument, { imageId: image.id, question: 'One?' })).data!.askQuestion.cached).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('keys survive restarts', () => {
  it('still requires and accepts keys after a restart', async () => {
    const h = await startHarness();
    try {
      const { key } = await h.gateway.app.services.keys.create({ tenant: 'durable' });
      await restartGateway(h);
      expect(errorCodes(await h.gateway.client.request(ListImagesDocument, {}))).toEqual(['UNAUTHENTICATED']);
      const client = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
      expect((await client.request(ListImagesDocument, {})).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('rate limits over graphql-ws', () => {
  it('counts the connection and each subscription against the key’s per-minute limit', async () => {
    const h = await startHarness();
    try {
      const { key } = await h.gateway.app.services.keys.create({ tenant: 'socket', requestsPerMinute: 3 });
      // One socket throughout: its connection takes one of the three;
      const client = wsClient(h.gateway.server.url, { authorization: `Bearer ${key}` }, { lazy: false });
      const subscribe = () => collect(client, JobCompletedDocument, { id: 'no-such-job' });
      // within the limit the subscriptions run (and find no such job).
      for (let i = 0; i < 2; i++) expect(errorCodes((await subscribe())[0]!)).toEqual(['NOT_FOUND']);
      // Past it, graphql-ws delivers the refusal as an `error` message, which the client throws.
      const refused = (await subscribe().catch((errors: unknown) => errors)) as Array<{ extensions?: Record<string, unknown> }>;
      await client.dispose();
      expect(refused[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(refused[0]!.extensions!.retryAfter).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});
