import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  AskQuestionDocument,
  CancelJobDocument,
  CaptionImageDocument,
  GetImageDocument,
  GetJobDocument,
  JobCompletedDocument,
  JobUpdatedDocument,
  ListImagesDocument,
  ListJobsDocument,
  ListQuestionsDocument,
  SubmitAnalysisDocument,
  UploadImageDocument,
} from '../generated/graphql.js';
import { collect, errorCodes, GraphQLClient, wsClient, type GraphQLResponse } from '../support/client.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { filesUnder, uploadNew } from '../support/flows.js';
import { makeImage } from '../support/images.js';
import { CLI_TEST_TIMEOUT, runCli } from '../support/operator-cli.js';

/** A key the gateway never issued, well-formed. */
const unknownKey = () => `qvg_${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;

describe('open mode', () => {
  it(
    'a presented key is its tenant, with its limits, from the moment the CLI made it; an unknown one is refused, over HTTP, graphql-ws and exports',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      // "Open" is trusted from memory for an hour here: a key-bearing request must not lean on it.
      // A call about a 30×30 image reserves about 940 tokens and is billed 1030 at the fake: a 1500 budget allows one.
      const h = await startHarness({ env: { KEY_CACHE_SECONDS: '3600', TOKEN_RESERVE_PER_ANSWER: '900' } });
      try {
        const open = h.gateway.client;
        const openImage = await uploadNew(open, { format: 'png', width: 30, height: 30, color: '#3c1e0f' });
        expect((await open.request(AskQuestionDocument, { imageId: openImage.id, question: 'Whose secret?' })).errors).toBeUndefined();
        const openJob = (await open.request(SubmitAnalysisDocument, { input: { imageIds: [openImage.id], captionStyles: ['BRIEF'] } })).data!.submitAnalysis.id;

        const created = await runCli('keys', ['create', '--tenant', 'acme', '--tokens-per-day', '1500'], { DATA_DIR: h.gateway.dataDir });
        expect(created.code).toBe(0);
        const key = created.stdout.trim().split('\n').at(-1)!;
        // Still inside the window where "open" is trusted: requests without a key are the open tenant's...
        expect((await open.request(ListImagesDocument, { first: 100 })).data!.images.edges.map((e) => e.node.id)).toContain(openImage.id);

        // ...but one with acme's key is acme's: its rows, its cache, its budget.
        const acme = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
        expect((await acme.request(ListImagesDocument, { first: 100 })).data!.images.edges).toEqual([]);
        expect((await acme.request(GetImageDocument, { id: openImage.id })).data!.image).toBeNull();
        const sameBytes = (await acme.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'a.png', bytes: openImage.bytes } }])).data!.uploadImage;
        const asked = h.fake.requests.length;
        const answer = await acme.request(AskQuestionDocument, { imageId: sameBytes.id, question: 'Whose secret?' });
        expect(answer.data!.askQuestion.cached).toBe(false);
        expect(h.fake.requests).toHaveLength(asked + 1);
        expect(errorCodes(await acme.request(AskQuestionDocument, { imageId: sameBytes.id, question: 'And another?' }))).toEqual(['RATE_LIMITED']);

        const stranger = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${unknownKey()}` });
        const refused = await stranger.request(ListImagesDocument, {});
        expect(refused.status).toBe(401);
        expect(errorCodes(refused)).toEqual(['UNAUTHENTICATED']);

        // graphql-ws: the key in connectionParams is acme's (the open tenant's job is not found); an unknown one closes the socket.
        const acmeSocket = wsClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
        try {
          const events = await collect(acmeSocket, JobCompletedDocument, { id: openJob });
          expect(errorCodes(events[0]!)).toEqual(['NOT_FOUND']);
        } finally {
          await acmeSocket.dispose();
        }
        for (const authorization of [`Bearer ${unknownKey()}`, { not: 'text' }]) {
          const codes: number[] = [];
          const strangerSocket = wsClient(h.gateway.server.url, { authorization });
          strangerSocket.on('closed', (event) => codes.push((event as { code: number }).code));
          await expect(collect(strangerSocket, JobCompletedDocument, { id: openJob })).rejects.toBeTruthy();
          await strangerSocket.dispose();
          expect(codes).toContain(4401);
        }

        // Side routes authenticate alike.
        const download = (route: string, authorization: string) => fetch(new URL(route, h.gateway.server.url), { headers: { authorization } });
        const acmeCsv = await download('/export/questions.csv', `Bearer ${key}`);
        expect(acmeCsv.status).toBe(200);
        const rows = await acmeCsv.text();
        expect(rows).toContain(sameBytes.id);
        expect(rows).not.toContain(openImage.id);
        for (const route of ['/export/questions.csv', '/export/conversations.jsonl']) {
          expect((await download(route, `Bearer ${unknownKey()}`)).status).toBe(401);
        }
      } finally {
        await h.close();
      }
    },
  );

  it(
    'once a key existed the gateway stays closed, running and restarted, even with every key erased, until `keys open` or AUTH_REQUIRED=false',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      // KEY_CACHE_SECONDS 0: what the CLI writes counts at the next request, so nothing here waits on a clock.
      const env = { KEY_CACHE_SECONDS: '0' };
      const h = await startHarness({ env });
      const cli = (command: 'keys' | 'tenants', args: string[]) => runCli(command, args, { DATA_DIR: h.gateway.dataDir });
      const anonymousStatus = async () => (await h.gateway.client.request(ListImagesDocument, {})).status;
      try {
        expect(await anonymousStatus()).toBe(200);
        const created = await cli('keys', ['create', '--tenant', 'acme']);
        const key = created.stdout.trim().split('\n').at(-1)!;
        expect(key).toMatch(/^qvg_[A-Za-z0-9_-]{40,}$/);
        expect(await anonymousStatus()).toBe(401);
        expect(errorCodes(await h.gateway.client.request(ListImagesDocument, {}))).toEqual(['UNAUTHENTICATED']);
        expect((await new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` }).request(ListImagesDocument, {})).status).toBe(200);

        // Erasing the only tenant removes every key: the gateway stays closed, now and after a restart.
        const erased = await cli('tenants', ['delete', 'acme', '--yes']);
        expect(erased.code).toBe(0);
        expect(await anonymousStatus()).toBe(401);
        await restartGateway(h, env);
        expect(await anonymousStatus()).toBe(401);
        const listed = await cli('keys', ['list']);
        expect(listed.stdout).toMatch(/^the gateway is closed/m);

        // AUTH_REQUIRED=false opens it for as long as it is set.
        await restartGateway(h, { ...env, AUTH_REQUIRED: 'false' });
        expect(await anonymousStatus()).toBe(200);
        await restartGateway(h, env);
        expect(await anonymousStatus()).toBe(401);

        // The operator's explicit command opens it: the running gateway follows, and a restarted one agrees.
        const opened = await cli('keys', ['open']);
        expect(opened.code).toBe(0);
        expect(await anonymousStatus()).toBe(200);
        await restartGateway(h, env);
        expect(await anonymousStatus()).toBe(200);
      } finally {
        await h.close();
      }
    },
  );

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
  /** Alice's image, a question about it and a finished job: what Bob must not be able to reach. */
  let aliceImage: string;
  let aliceQuestion: string;
  let aliceJob: string;
  let bobImage: string;

  /** Runs a subscription over graphql-ws with a key and returns every event. */
  async function subscribeAs<T>(key: string, doc: TypedDocumentNode<T, { id: string }>, id: string) {
    const client = wsClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
    try {
      return await collect(client, doc, { id });
    } finally {
      await client.dispose();
    }
  }

  const rows = async (client: GraphQLClient) => {
    const [images, questions, jobs] = await Promise.all([
      client.request(ListImagesDocument, { first: 100 }),
      client.request(ListQuestionsDocument, { first: 100 }),
      client.request(ListJobsDocument, { first: 100 }),
    ]);
    return { images: images.data!.images.edges.length, questions: questions.data!.questions.edges.length, jobs: jobs.data!.jobs.edges.length };
  };
  /** What a refused request must leave as it was: both tenants' rows, the blobs, temporary files and the model endpoint. */
  const state = async () => ({ alice: await rows(alice), bob: await rows(bob), blobs: (await filesUnder(path.join(h.gateway.dataDir, 'blobs'))).length, upstream: h.fake.requests.length });
  async function expectUntouched(before: Awaited<ReturnType<typeof state>>) {
    expect(await state()).toEqual(before);
    await expect.poll(() => filesUnder(path.join(h.gateway.dataDir, 'tmp'))).toEqual([]);
  }

  beforeAll(async () => {
    h = await startHarness();
    const keys = h.gateway.app.services.keys;
    aliceKey = (await keys.create({ tenant: 'alice' })).key;
    bobKey = (await keys.create({ tenant: 'bob' })).key;
    alice = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${aliceKey}` });
    bob = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${bobKey}` });
    aliceImage = (await uploadNew(alice, { format: 'png', width: 50, height: 40, color: '#5a5a10' })).id;
    bobImage = (await uploadNew(bob, { format: 'png', width: 44, height: 30, color: '#105a5a' })).id;
    aliceQuestion = (await alice.request(AskQuestionDocument, { imageId: aliceImage, question: 'Private?' })).data!.askQuestion.id;
    aliceJob = (await alice.request(SubmitAnalysisDocument, { input: { imageIds: [aliceImage], captionStyles: ['BRIEF'] } })).data!.submitAnalysis.id;
    // Finished before any test runs, so no background write lands inside a test's before/after comparison.
    expect((await subscribeAs(aliceKey, JobCompletedDocument, aliceJob))[0]!.data!.jobCompleted.status).toBe('SUCCEEDED');
  });
  afterAll(() => h.close());

  it.each([
    ['no Authorization header', () => ({})],
    ['a Basic scheme', () => ({ authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` })],
    ['a valid key without the Bearer scheme', () => ({ authorization: aliceKey })],
    ['"Bearer" with no key', () => ({ authorization: 'Bearer ' })],
    ['"Bearer" with two tokens', () => ({ authorization: `Bearer ${aliceKey} ${bobKey}` })],
    ['an unknown, well-formed key', () => ({ authorization: `Bearer ${unknownKey()}` })],
    ['a valid key cut short by one character', () => ({ authorization: `Bearer ${aliceKey.slice(0, -1)}` })],
  ] as Array<[string, () => Record<string, string>]>)('refuses %s with 401 UNAUTHENTICATED, before reading an upload, storing nothing', async (_name, headers) => {
    const before = await state();
    const response = await new GraphQLClient(h.gateway.server.url, headers()).upload(UploadImageDocument, { file: null }, [
      { path: 'variables.file', file: { name: 'a.png', bytes: await makeImage({ format: 'png', width: 12, height: 12, color: '#0c0c0c' }) } },
    ]);
    expect(response.status).toBe(401);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data ?? null).toBeNull();
    await expectUntouched(before);
  });

  it('refuses a revoked key with 401, for queries and uploads', async () => {
    const keys = h.gateway.app.services.keys;
    const { record, key } = await keys.create({ tenant: 'carol' });
    const carol = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
    expect((await carol.request(ListImagesDocument, {})).status).toBe(200);
    await keys.revoke(record.id);
    const before = await state();
    const query = await carol.request(ListImagesDocument, {});
    expect(query.status).toBe(401);
    expect(errorCodes(query)).toEqual(['UNAUTHENTICATED']);
    const upload = await carol.upload(UploadImageDocument, { file: null }, [
      { path: 'variables.file', file: { name: 'a.png', bytes: await makeImage({ format: 'png', width: 12, height: 12, color: '#0d0d0d' }) } },
    ]);
    expect(upload.status).toBe(401);
    expect(errorCodes(upload)).toEqual(['UNAUTHENTICATED']);
    await expectUntouched(before);
  });

  it('closes a WebSocket without a valid key with 4401', async () => {
    const codes: number[] = [];
    const client = wsClient(h.gateway.server.url, { authorization: 'Bearer wrong' });
    client.on('closed', (event) => codes.push((event as { code: number }).code));
    await expect(collect(client, JobCompletedDocument, { id: aliceJob })).rejects.toBeTruthy();
    expect(codes).toContain(4401);
    await client.dispose();
  });

  it('closes a WebSocket that skips connection_init with 4401, before it can subscribe', async () => {
    const socket = new WebSocket(h.gateway.server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { jobCompleted(id: "${aliceJob}") { id status } }` } }));
    const messages: string[] = [];
    socket.on('message', (data: Buffer) => messages.push(data.toString()));
    const code = await new Promise<number>((resolve) => socket.once('close', resolve));
    expect(code).toBe(4401);
    expect(messages.join('')).not.toContain(aliceJob);
  });

  it('lists only the tenant’s own images, questions and jobs', async () => {
    expect((await bob.request(ListImagesDocument, { first: 100 })).data!.images.edges.map((e) => e.node.id)).not.toContain(aliceImage);
    expect((await bob.request(ListQuestionsDocument, { first: 100 })).data!.questions.edges.map((e) => e.node.id)).not.toContain(aliceQuestion);
    expect((await bob.request(ListJobsDocument, { first: 100 })).data!.jobs.edges.map((e) => e.node.id)).not.toContain(aliceJob);
  });

  /**
   * The contract for another tenant's ids: the answer is exactly the one for an id that does not
   * exist (same status, codes, messages, data), once the id itself is blanked out; and nothing is
   * computed or stored for either tenant.
   */
  describe('another tenant’s ids behave like ids that do not exist', () => {
    interface ForeignCase {
      name: string;
      foreignId: () => string;
      run: (id: string) => Promise<unknown>;
      expectAnswer: (answer: GraphQLResponse<unknown> & Array<GraphQLResponse<unknown>>) => void;
    }
    const notFound = (response: GraphQLResponse<unknown>) => {
      expect(response.status).toBe(200);
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    };
    const oneNotFoundEvent = (events: Array<GraphQLResponse<unknown>>) => {
      expect(events).toHaveLength(1);
      expect(errorCodes(events[0]!)).toEqual(['NOT_FOUND']);
    };
    const cases: ForeignCase[] = [
      {
        name: 'image(id) is null',
        foreignId: () => aliceImage,
        run: (id) => bob.request(GetImageDocument, { id }),
        expectAnswer: (response) => {
          expect(response).toMatchObject({ status: 200, data: { image: null } });
          expect(response.errors).toBeUndefined();
        },
      },
      {
        name: 'Image.caption and Image.answer through image(id) compute nothing and are null',
        foreignId: () => aliceImage,
        run: (id) => bob.request(`query($id: ID!) { image(id: $id) { caption(style: DETAILED, refresh: true) { text } answer(question: "Secret?") { answer } } }`, { id }),
        expectAnswer: (response) => expect(response.data).toEqual({ image: null }),
      },
      { name: 'askQuestion is NOT_FOUND', foreignId: () => aliceImage, run: (id) => bob.request(AskQuestionDocument, { imageId: id, question: 'Private?', refresh: true }), expectAnswer: notFound },
      { name: 'captionImage is NOT_FOUND', foreignId: () => aliceImage, run: (id) => bob.request(CaptionImageDocument, { imageId: id, style: 'ALT_TEXT' }), expectAnswer: notFound },
      {
        name: 'submitAnalysis (a foreign id among Bob’s own) is NOT_FOUND and creates no job',
        foreignId: () => aliceImage,
        run: (id) => bob.request(SubmitAnalysisDocument, { input: { imageIds: [bobImage, id], questions: ['Q?'] } }),
        expectAnswer: notFound,
      },
      {
        name: 'questions(filter: { imageId }) is empty',
        foreignId: () => aliceImage,
        run: (id) => bob.request(ListQuestionsDocument, { filter: { imageId: id }, first: 10 }),
        expectAnswer: (response) => expect(response.data).toEqual({ questions: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } }),
      },
      { name: 'job(id) is null', foreignId: () => aliceJob, run: (id) => bob.request(GetJobDocument, { id }), expectAnswer: (response) => expect(response.data).toEqual({ job: null }) },
      { name: 'cancelJob is NOT_FOUND', foreignId: () => aliceJob, run: (id) => bob.request(CancelJobDocument, { id }), expectAnswer: notFound },
      { name: 'jobCompleted over graphql-ws is NOT_FOUND', foreignId: () => aliceJob, run: (id) => subscribeAs(bobKey, JobCompletedDocument, id), expectAnswer: oneNotFoundEvent },
      { name: 'jobUpdated over graphql-ws is NOT_FOUND', foreignId: () => aliceJob, run: (id) => subscribeAs(bobKey, JobUpdatedDocument, id), expectAnswer: oneNotFoundEvent },
    ];

    it.each(cases)('$name', async ({ foreignId, run, expectAnswer }) => {
      const before = await state();
      const foreign = foreignId();
      const missing = randomUUID();
      const asForeign = JSON.stringify(await run(foreign)).replaceAll(foreign, '<id>');
      const asMissing = JSON.stringify(await run(missing)).replaceAll(missing, '<id>');
      expect(asForeign).toBe(asMissing);
      expectAnswer(JSON.parse(asForeign) as GraphQLResponse<unknown> & Array<GraphQLResponse<unknown>>);
      await expectUntouched(before);
      expect((await alice.request(GetJobDocument, { id: aliceJob })).data!.job!.status).toBe('SUCCEEDED');
    });
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
