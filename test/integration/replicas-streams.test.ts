import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { print } from 'graphql';
import type { Client as WsClient } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AnswerStreamDocument, AskQuestionDocument, type AnswerStreamSubscription } from '../generated/graphql.js';
import { ApiKeyRepository } from '../../src/modules/access/api-key.repository.js';
import { ApiKeyService } from '../../src/modules/access/api-key.service.js';
import { loadConfig } from '../../src/platform/config.js';
import { openDatabase } from '../../src/platform/database/database.js';
import type { ChildGateway } from '../support/child-gateway.js';
import { GraphQLClient, wsClient, type GraphQLResponse } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { REPLICA_TEST_TIMEOUT, replicasUnavailable, startReplicas, type Replicas } from '../support/replicas.js';

// Issue 24, point 2: identical streams on two replicas (one PostgreSQL, one
// Redis) share one upstream call, every subscriber on either receives the
// whole text, an askQuestion on the other replica waits for the stream's
// call, and the call goes on while a subscriber anywhere still listens.
// `holdStreams()` pauses the fake's streamed replies after their first chunk.

type Event = GraphQLResponse<AnswerStreamSubscription>;

let cluster: Replicas;
let a: ChildGateway;
let b: ChildGateway;
let dataDir: string;
let authorization: string;
const sockets: WsClient[] = [];
let shade = 0;

function open(replica: ChildGateway, variables: { imageId: string; question: string }) {
  const socket = wsClient(replica.url, { authorization }, { lazy: false });
  sockets.push(socket);
  const events = socket.iterate<AnswerStreamSubscription>({ query: print(AnswerStreamDocument), variables });
  const chunk = (event: Event) => {
    expect(event.errors).toBeUndefined();
    return event.data!.answerStream;
  };
  return {
    async next() {
      const step = await events.next();
      if (step.done) throw new Error('the stream completed early');
      return chunk({ status: 0, ...step.value } as Event);
    },
    async rest() {
      const all = [];
      for (let step = await events.next(); !step.done; step = await events.next()) all.push(chunk({ status: 0, ...step.value } as Event));
      return all;
    },
    leave: () => events.return?.(),
  };
}

describe.skipIf(replicasUnavailable)('answer streams across replicas', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-shared-disk-'));
    cluster = await startReplicas(0, { env: { KEY_CACHE_SECONDS: '0' } });
    const started = await cluster.startMany(2, { DATA_DIR: dataDir });
    a = started[0]!;
    b = started[1]!;
    const db = await openDatabase(cluster.databaseUrl);
    try {
      const keys = new ApiKeyService(new ApiKeyRepository(db), loadConfig({ DATABASE_URL: cluster.databaseUrl }).auth);
      authorization = `Bearer ${(await keys.create({ tenant: 'streams' })).key}`;
    } finally {
      await db.$disconnect();
    }
  }, REPLICA_TEST_TIMEOUT);

  afterEach(async () => {
    cluster.fake.releaseStreams();
    cluster.fake.reset();
    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
  });

  afterAll(async () => {
    await cluster?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const newImage = () => uploadNew(new GraphQLClient(a.url, { authorization }), { format: 'png', width: 44, height: 30, color: `#${(0x406080 + ++shade * 7919).toString(16).slice(-6)}` });

  it('identical streams on A and B make one upstream call, and B receives the whole text from the first delta', async () => {
    const image = await newImage();
    cluster.fake.reset();
    cluster.fake.holdStreams();
    const onA = open(a, { imageId: image.id, question: 'What is it?' });
    const firstOnA = await onA.next();
    const onB = open(b, { imageId: image.id, question: 'What is it?' });
    const firstOnB = await onB.next();
    // B follows A's stream: its first delta is A's first, relayed while the endpoint has not finished.
    expect(firstOnB.delta).toBe(firstOnA.delta);
    expect(cluster.fake.requests).toHaveLength(1);
    expect(cluster.fake.requests[0]).toMatchObject({ finished: false });

    cluster.fake.releaseStreams();
    const [restA, restB] = await Promise.all([onA.rest(), onB.rest()]);
    const whole = (first: { delta: string }, rest: Array<{ delta: string }>) => first.delta + rest.map((chunk) => chunk.delta).join('');
    expect(whole(firstOnB, restB)).toBe(whole(firstOnA, restA));
    const [answerA, answerB] = [restA.at(-1)!.answer!, restB.at(-1)!.answer!];
    expect(answerB).toMatchObject({ id: answerA.id, answer: whole(firstOnA, restA), cached: true });
    expect(answerA.cached).toBe(false);
    expect(cluster.fake.requests).toHaveLength(1);
  });

  it("an askQuestion on B sent while A streams is answered from A's call: its stored row, one upstream call", async () => {
    const image = await newImage();
    cluster.fake.reset();
    cluster.fake.holdStreams();
    const onA = open(a, { imageId: image.id, question: 'Asked meanwhile?' });
    await onA.next();
    // Nothing on B shows the ask waiting, so the stream is released at once: the ask reaches B while A's
    // claim is held (it waits) or just after (the stored row); a second upstream call fails either way.
    const asking = new GraphQLClient(b.url, { authorization }).request(AskQuestionDocument, { imageId: image.id, question: 'Asked meanwhile?' });
    cluster.fake.releaseStreams();
    const streamed = (await onA.rest()).at(-1)!.answer!;
    const asked = await asking;
    expect(asked.errors).toBeUndefined();
    expect(asked.data!.askQuestion).toMatchObject({ id: streamed.id, answer: streamed.answer });
    expect(cluster.fake.requests).toHaveLength(1);
  });

  it('the subscriber on A leaving does not cancel the call B still follows; B gets the whole text', async () => {
    const image = await newImage();
    cluster.fake.reset();
    cluster.fake.holdStreams();
    const onA = open(a, { imageId: image.id, question: 'Still there?' });
    await onA.next();
    const onB = open(b, { imageId: image.id, question: 'Still there?' });
    const firstOnB = await onB.next();
    await onA.leave();
    cluster.fake.releaseStreams();
    const restB = await onB.rest();
    const last = restB.at(-1)!.answer!;
    expect(last.answer).toBe(firstOnB.delta + restB.map((chunk) => chunk.delta).join(''));
    expect(cluster.fake.requests).toHaveLength(1);
    expect(cluster.fake.requests[0]).toMatchObject({ finished: true, abandoned: false });
  });
});
