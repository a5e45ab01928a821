import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskAboutImagesDocument, AskQuestionDocument, DeleteImageDocument, GetImageDocument, UploadImageDocument } from '../generated/graphql.js';
import { ApiKeyRepository } from '../../src/modules/access/api-key.repository.js';
import { ApiKeyService } from '../../src/modules/access/api-key.service.js';
import { loadConfig } from '../../src/platform/config.js';
import { openDatabase } from '../../src/platform/database/database.js';
import type { ChildGateway } from '../support/child-gateway.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { runCli } from '../support/operator-cli.js';
import { ownRedis } from '../support/own-redis.js';
import { REPLICA_TEST_TIMEOUT, replicasUnavailable, startReplicas, type Replicas } from '../support/replicas.js';

// Issue 9, point 1 (limits, single flight, invalidation): two gateway processes
// A and B on one PostgreSQL database and one Redis behave like one gateway.
// A and B share a DATA_DIR here (like a shared disk) so that whichever replica
// asks upstream can read the image: blobs across replicas are the S3 suite's part.
//
// The fake bills 320 tokens a call; a call about a 280×280 image is estimated
// at more than that (TOKEN_RESERVE_PER_ANSWER 300 plus the image), so a
// budget's reservations always cover what is billed.

const BUDGET = 1500;
/** QWEN_GLOBAL_MAX_CONCURRENCY of the cluster (each replica alone may have QWEN_MAX_CONCURRENCY, 8, in flight). */
const GLOBAL_CAP = 3;

let cluster: Replicas;
let a: ChildGateway;
let b: ChildGateway;
let dataDir: string;
let shade = 0;

/** A key in the cluster's database, as `npm run keys -- create` makes one. */
async function createKey(options: { requestsPerMinute?: number; tokensPerDay?: number; tenant?: string }): Promise<string> {
  const db = await openDatabase(cluster.databaseUrl);
  try {
    const keys = new ApiKeyService(new ApiKeyRepository(db), loadConfig({ DATABASE_URL: cluster.databaseUrl }).auth);
    return (await keys.create({ tenant: 'scale', ...options })).key;
  } finally {
    await db.$disconnect();
  }
}

const as = (replica: ChildGateway, key: string) => new GraphQLClient(replica.url, { authorization: `Bearer ${key}` });
const newImage = (client: GraphQLClient) => uploadNew(client, { format: 'png', width: 280, height: 280, color: `#${(0x204060 + ++shade * 7919).toString(16).slice(-6)}` });

/** Asks `ask` until it returns what `done` accepts; a backstop deadline only (events cross processes through Redis). */
async function eventually<T>(ask: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await ask();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(replicasUnavailable)('limits, single flight and caches across replicas', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-shared-disk-'));
    // KEY_CACHE_SECONDS 0: keys made by the test count at once.
    cluster = await startReplicas(0, {
      // TENANT_ERASURE_CHECK_MS an hour: a tenant erasure can reach the replicas' memory only through Redis here.
      env: { KEY_CACHE_SECONDS: '0', TOKEN_RESERVE_PER_ANSWER: '300', QWEN_GLOBAL_MAX_CONCURRENCY: String(GLOBAL_CAP), TENANT_ERASURE_CHECK_MS: '3600000' },
      fake: { usage: { prompt: 300, completion: 20 } },
    });
    const started = await cluster.startMany(2, { DATA_DIR: dataDir });
    a = started[0]!;
    b = started[1]!;
  }, REPLICA_TEST_TIMEOUT);

  afterAll(async () => {
    await cluster?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a 10/minute key admits 10 of 20 requests spread over both replicas', async () => {
    const key = await createKey({ requestsPerMinute: 10 });
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => as(i % 2 ? b : a, key).request('{ images(first: 1) { edges { cursor } } }')));
    const admitted = responses.filter((response) => !response.errors);
    const refused = responses.filter((response) => response.errors);
    expect(admitted).toHaveLength(10);
    expect(refused.map((response) => errorCodes(response)[0])).toEqual(Array(10).fill('RATE_LIMITED'));
  });

  it('20 concurrent identical asks spread over both replicas make one upstream call', async () => {
    const key = await createKey({});
    const image = await newImage(as(a, key));
    cluster.fake.reset();
    // Long enough that every ask arrives while the one upstream call is under way.
    cluster.fake.setDelay(1500);
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => as(i % 2 ? b : a, key).request(AskQuestionDocument, { imageId: image.id, question: 'What colour is it?' })),
      );
      for (const response of responses) expect(response.errors).toBeUndefined();
      expect(cluster.fake.requests).toHaveLength(1);
      const answers = responses.map((response) => response.data!.askQuestion);
      expect(new Set(answers.map((answer) => answer.answer)).size).toBe(1);
      expect(answers.filter((answer) => !answer.cached)).toHaveLength(1);
    } finally {
      cluster.fake.setDelay(0);
    }
  });

  it('10 concurrent identical questions about two images, spread over both replicas, make one upstream call', async () => {
    const key = await createKey({});
    const images = [await newImage(as(a, key)), await newImage(as(a, key))];
    cluster.fake.reset();
    // Long enough that every ask arrives while the one upstream call is under way (asserted below: all but one are served by it).
    cluster.fake.setDelay(1500);
    try {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => as(i % 2 ? b : a, key).request(AskAboutImagesDocument, { imageIds: images.map((image) => image.id), question: 'Which is darker?' })),
      );
      for (const response of responses) expect(response.errors).toBeUndefined();
      expect(cluster.fake.requests).toHaveLength(1);
      const answers = responses.map((response) => response.data!.askAboutImages);
      expect(new Set(answers.map((answer) => answer.id)).size).toBe(1);
      expect(answers.filter((answer) => !answer.cached)).toHaveLength(1);
    } finally {
      cluster.fake.setDelay(0);
    }
  });

  it('QWEN_GLOBAL_MAX_CONCURRENCY caps the upstream calls in flight across both replicas', async () => {
    const key = await createKey({});
    const images = await Promise.all(Array.from({ length: 10 }, () => newImage(as(a, key))));
    cluster.fake.reset();
    cluster.fake.setDelay(300);
    try {
      const responses = await Promise.all(images.map((image, i) => as(i % 2 ? b : a, key).request(AskQuestionDocument, { imageId: image.id, question: 'Which shade?' })));
      for (const response of responses) expect(response.errors).toBeUndefined();
      expect(cluster.fake.requests).toHaveLength(images.length);
      expect(cluster.fake.stats.maxInFlight).toBeLessThanOrEqual(GLOBAL_CAP);
    } finally {
      cluster.fake.setDelay(0);
    }
  });

  it('a refresh on A is what B serves next, though B had the old answer in memory', async () => {
    const key = await createKey({});
    const image = await newImage(as(a, key));
    const question = { imageId: image.id, question: 'Describe it.' };
    const first = await as(b, key).request(AskQuestionDocument, question);
    expect(first.errors).toBeUndefined();
    // B now remembers the answer: asked again, it serves it from memory.
    expect((await as(b, key).request(AskQuestionDocument, question)).data!.askQuestion.cached).toBe(true);

    cluster.fake.inject({ kind: 'content', content: 'A refreshed answer.' });
    const refreshed = await as(a, key).request(AskQuestionDocument, { ...question, refresh: true });
    expect(refreshed.data?.askQuestion.answer).toBe('A refreshed answer.');

    const seen = await eventually(
      () => as(b, key).request(AskQuestionDocument, question),
      (response) => response.data?.askQuestion.answer === 'A refreshed answer.',
    );
    expect(seen.data?.askQuestion).toMatchObject({ answer: 'A refreshed answer.', cached: true });
  });

  it('deleteImage on A: B stops serving the image it had in memory', async () => {
    const key = await createKey({});
    const image = await newImage(as(a, key));
    expect((await as(b, key).request(GetImageDocument, { id: image.id })).data?.image?.id).toBe(image.id);

    expect((await as(a, key).request(DeleteImageDocument, { id: image.id })).errors).toBeUndefined();
    const seen = await eventually(
      () => as(b, key).request(GetImageDocument, { id: image.id }),
      (response) => response.data?.image === null,
    );
    expect(seen.data?.image).toBeNull();
  });

  it('tenants delete from the CLI with REDIS_URL: every replica drops the tenant’s images and answers from memory at once', async () => {
    const key = await createKey({ tenant: 'erased' });
    const image = await newImage(as(a, key));
    const question = { imageId: image.id, question: 'Kept in memory?' };
    for (const replica of [a, b]) {
      expect((await as(replica, key).request(GetImageDocument, { id: image.id })).data?.image?.id).toBe(image.id);
      expect((await as(replica, key).request(AskQuestionDocument, question)).errors).toBeUndefined();
    }

    const { DATABASE_URL, REDIS_URL, REDIS_PREFIX } = cluster.env as Record<string, string>;
    const erased = await runCli('tenants', ['delete', 'erased', '--yes'], { DATABASE_URL: DATABASE_URL!, REDIS_URL: REDIS_URL!, REDIS_PREFIX: REDIS_PREFIX!, DATA_DIR: dataDir });
    expect(erased.code).toBe(0);

    // The tenant made again inherits nothing any replica remembered.
    const again = await createKey({ tenant: 'erased' });
    for (const replica of [a, b]) {
      const seen = await eventually(
        () => as(replica, again).request(GetImageDocument, { id: image.id }),
        (response) => response.data?.image === null,
      );
      expect(seen.data?.image).toBeNull();
      const upload = await as(replica, again).upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'again.png', bytes: image.bytes } }]);
      const reuploaded = upload.data!.uploadImage;
      expect((await as(replica, again).request(AskQuestionDocument, { ...question, imageId: reuploaded.id })).data?.askQuestion.cached).toBe(false);
      expect((await as(replica, again).request(DeleteImageDocument, { id: reuploaded.id })).errors).toBeUndefined();
    }
  }, REPLICA_TEST_TIMEOUT);

  it(
    'a token budget is shared by the replicas and outlives them',
    async () => {
      const key = await createKey({ tokensPerDay: BUDGET });
      const images = await Promise.all(Array.from({ length: 8 }, () => newImage(as(a, key))));
      const responses = [];
      // One at a time, alternating: each replica alone would have the whole budget to spend.
      for (const [i, image] of images.entries()) {
        responses.push(await as(i % 2 ? b : a, key).request(AskQuestionDocument, { imageId: image.id, question: 'How big is it?' }));
      }
      const answered = responses.filter((response) => !response.errors);
      const spent = answered.reduce((sum, response) => sum + response.data!.askQuestion.usage.totalTokens, 0);
      expect(spent).toBeLessThanOrEqual(BUDGET);
      expect(answered.length).toBeGreaterThanOrEqual(2);
      expect(responses.slice(answered.length).map((response) => errorCodes(response)[0])).toEqual(Array(images.length - answered.length).fill('RATE_LIMITED'));

      // Every replica restarted: the day's spending is still counted.
      a.process.kill('SIGKILL');
      b.process.kill('SIGKILL');
      const c = await cluster.start({ DATA_DIR: dataDir });
      const after = await as(c, key).request(AskQuestionDocument, { imageId: images[0]!.id, question: 'Is it square?' });
      expect(errorCodes(after)).toEqual(['RATE_LIMITED']);
    },
    REPLICA_TEST_TIMEOUT,
  );
});

interface ReadyBody {
  status: string;
  reason?: string;
  checks?: Record<string, string>;
}

describe.skipIf(replicasUnavailable)('while Redis is down', () => {
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  let lone: Replicas;
  let g: ChildGateway;
  const readyz = async () => {
    const response = await fetch(new URL('/readyz', g.url));
    return { status: response.status, body: (await response.json()) as ReadyBody };
  };

  beforeAll(async () => {
    redis = await ownRedis();
    await redis.start();
    lone = await startReplicas(0, { env: { REDIS_URL: redis.url } });
    g = await lone.start();
  }, REPLICA_TEST_TIMEOUT);

  afterAll(async () => {
    await lone?.close();
    await redis?.stop();
  });

  it(
    '/readyz reports Redis and answers 503 until it is back; stored answers and new ones are still served, and the log says what is down',
    async () => {
      expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', checks: { storage: 'ok', database: 'ok', redis: 'ok' } } });
      const client = new GraphQLClient(g.url);
      const image = await newImage(client);
      const asked = await client.request(AskQuestionDocument, { imageId: image.id, question: 'What is it?' });
      expect(asked.errors).toBeUndefined();

      await redis.stop();
      const down = await eventually(readyz, (probe) => probe.status === 503);
      expect(down.status).toBe(503);
      expect(down.body.checks).toMatchObject({ storage: 'ok', database: 'ok' });
      expect(down.body.checks?.redis).toMatch(/redis unreachable/);
      expect(down.body.reason).toMatch(/^redis: redis unreachable/);

      const again = await client.request(AskQuestionDocument, { imageId: image.id, question: 'What is it?' });
      expect(again.data?.askQuestion).toMatchObject({ answer: asked.data!.askQuestion.answer, cached: true });
      const fresh = await client.request(AskQuestionDocument, { imageId: image.id, question: 'Is it red?' });
      expect(fresh.errors).toBeUndefined();
      expect(fresh.data?.askQuestion.cached).toBe(false);
      expect(g.logs.some((line) => line.includes('request limits and token budgets are counted per replica'))).toBe(true);
      expect(g.logs.some((line) => line.includes('redis is unreachable'))).toBe(true);

      await redis.start();
      const back = await eventually(readyz, (probe) => probe.status === 200);
      expect(back.body.checks?.redis).toBe('ok');
    },
    REPLICA_TEST_TIMEOUT,
  );
});
