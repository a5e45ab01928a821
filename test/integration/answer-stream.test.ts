import type { Client as WsClient } from 'graphql-ws';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AnswerStreamDocument, AskQuestionDocument, ListQuestionsDocument, type AnswerStreamSubscription } from '../generated/graphql.js';
import { collect, errorCodes, GraphQLClient, wsClient, type GraphQLResponse } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';

// answerStream (issue 14, points 2 and 3) over real graphql-ws, against the
// fake endpoint streaming server-sent chunks. `holdStreams()` pauses every
// upstream stream after its first chunk, so a test can see a delta arrive
// while the endpoint has not finished, and act then.

type Event = GraphQLResponse<AnswerStreamSubscription>;
type Chunk = AnswerStreamSubscription['answerStream'];

let h: Harness;
let alice: { http: GraphQLClient; authorization: string };
let bob: { http: GraphQLClient; authorization: string };
const sockets: WsClient[] = [];

async function keyFor(tenant: string, limits: { tokensPerDay?: number; requestsPerMinute?: number } = {}) {
  const { key } = await h.gateway.app.services.keys.create({ tenant, ...limits });
  const authorization = `Bearer ${key}`;
  return { http: new GraphQLClient(h.gateway.server.url, { authorization }), authorization };
}

beforeAll(async () => {
  h = await startHarness();
  alice = await keyFor('alice');
  bob = await keyFor('bob');
});
afterAll(() => h.close());
afterEach(async () => {
  h.fake.releaseStreams();
  h.fake.reset();
  h.fake.setDefaultFault(null);
  await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
});

function socketOf(authorization: string): WsClient {
  const socket = wsClient(h.gateway.server.url, { authorization }, { lazy: false });
  sockets.push(socket);
  return socket;
}

let shade = 0;
const newImage = () => uploadNew(alice.http, { format: 'png', width: 40, height: 30, color: `#${(0x305070 + ++shade * 7919).toString(16).slice(-6)}` });

/** A subscription read event by event, so a test can act between them. */
function open(socket: WsClient, variables: { imageId: string; question: string; refresh?: boolean }) {
  const events = socket.iterate<AnswerStreamSubscription>({ query: print(AnswerStreamDocument), variables });
  return {
    async next(): Promise<Event> {
      const step = await events.next();
      if (step.done) throw new Error('the stream completed early');
      return { status: 0, ...step.value } as Event;
    },
    /** Every event left, until the stream completes. */
    async rest(): Promise<Event[]> {
      const all: Event[] = [];
      for (let step = await events.next(); !step.done; step = await events.next()) all.push({ status: 0, ...step.value } as Event);
      return all;
    },
    /** Leaves the stream (graphql-ws `complete`), as a client that goes away mid-answer. */
    leave: () => events.return?.(),
  };
}

/** Answer cache lookups this gateway answered without a call of their own (gateway_answer_cache_lookups_total, hit). */
const cacheHits = async () => (await h.gateway.app.metrics.cacheLookups.get()).values.find((v) => v.labels.result === 'hit')?.value ?? 0;

const chunkOf = (event: Event): Chunk => {
  expect(event.errors).toBeUndefined();
  return event.data!.answerStream;
};
const text = (events: Event[]) => events.map((e) => chunkOf(e).delta).join('');

async function storedQuestions(client: GraphQLClient, imageId: string) {
  const listed = await client.request(ListQuestionsDocument, { filter: { imageId }, first: 10 });
  expect(listed.errors).toBeUndefined();
  return listed.data!.questions.edges.map((edge) => edge.node);
}

describe('answerStream', () => {
  it('sends the first delta before the endpoint has finished, then the stored answer; askQuestion then serves it cached', async () => {
    const image = await newImage();
    h.fake.holdStreams();
    const stream = open(socketOf(alice.authorization), { imageId: image.id, question: 'What is it?' });
    const first = chunkOf(await stream.next());
    expect(first.delta).not.toBe('');
    expect(first.answer).toBeNull();
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.requests[0]).toMatchObject({ stream: true, finished: false });

    h.fake.releaseStreams();
    const rest = await stream.rest();
    const whole = first.delta + text(rest);
    expect(whole).toBe('40x30 ' + h.fake.requests[0]!.image!.meanColor + ' :: What is it?');
    const last = chunkOf(rest.at(-1)!);
    expect(last.delta).toBe('');
    expect(last.answer).toMatchObject({ prompt: 'What is it?', answer: whole, cached: false, model: 'qwen-vl-test', image: { id: image.id } });
    expect(last.answer!.usage).toEqual({ promptTokens: 1010, completionTokens: 20, totalTokens: 1030, cachedTokens: 0 });
    expect(rest.slice(0, -1).every((e) => chunkOf(e).answer === null)).toBe(true);

    const asked = await alice.http.request(AskQuestionDocument, { imageId: image.id, question: 'What is it?' });
    expect(asked.data!.askQuestion).toMatchObject({ id: last.answer!.id, answer: whole, cached: true });
    expect(await storedQuestions(alice.http, image.id)).toEqual([expect.objectContaining({ id: last.answer!.id, answer: whole })]);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('a repeat is one chunk with the whole text and the cached answer, with no upstream call', async () => {
    const image = await newImage();
    const asked = await alice.http.request(AskQuestionDocument, { imageId: image.id, question: 'Cached?' });
    h.fake.reset();
    const events = await collect(socketOf(alice.authorization), AnswerStreamDocument, { imageId: image.id, question: '  Cached? ' });
    expect(events).toHaveLength(1);
    const only = chunkOf(events[0]!);
    expect(only.delta).toBe(asked.data!.askQuestion.answer);
    expect(only.answer).toMatchObject({ id: asked.data!.askQuestion.id, cached: true });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('refresh: true streams a fresh answer and replaces the stored one', async () => {
    const image = await newImage();
    const asked = (await alice.http.request(AskQuestionDocument, { imageId: image.id, question: 'Again?' })).data!.askQuestion;
    const events = await collect(socketOf(alice.authorization), AnswerStreamDocument, { imageId: image.id, question: 'Again?', refresh: true });
    expect(events.length).toBeGreaterThan(2);
    expect(chunkOf(events.at(-1)!).answer).toMatchObject({ id: asked.id, cached: false });
    expect(h.fake.requests).toHaveLength(2);
  });

  it('two concurrent identical streams make one upstream call; the late one gets the text so far, then the rest', async () => {
    const image = await newImage();
    h.fake.holdStreams();
    const early = open(socketOf(alice.authorization), { imageId: image.id, question: 'Shared?' });
    const earlyFirst = chunkOf(await early.next());
    const late = open(socketOf(alice.authorization), { imageId: image.id, question: 'Shared?' });
    const lateFirst = chunkOf(await late.next());
    expect(lateFirst.delta).toBe(earlyFirst.delta);

    h.fake.releaseStreams();
    const [earlyRest, lateRest] = await Promise.all([early.rest(), late.rest()]);
    const whole = earlyFirst.delta + text(earlyRest);
    expect(lateFirst.delta + text(lateRest)).toBe(whole);
    const [a, b] = [chunkOf(earlyRest.at(-1)!).answer!, chunkOf(lateRest.at(-1)!).answer!];
    expect(b.id).toBe(a.id);
    expect([a.cached, b.cached]).toEqual([false, true]);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('an askQuestion sent while the stream runs waits for its call and returns the row it stored', async () => {
    const image = await newImage();
    h.fake.holdStreams();
    const stream = open(socketOf(alice.authorization), { imageId: image.id, question: 'Waited for?' });
    const first = chunkOf(await stream.next());
    const hitsBefore = await cacheHits();
    const asking = alice.http.request(AskQuestionDocument, { imageId: image.id, question: 'Waited for?' });
    // The ask found the stream's call in flight (a hit, no call of its own) and waits for its reply to end.
    await expect.poll(cacheHits).toBe(hitsBefore + 1);
    expect(h.fake.requests).toHaveLength(1);

    h.fake.releaseStreams();
    const rest = await stream.rest();
    const streamed = chunkOf(rest.at(-1)!).answer!;
    const asked = await asking;
    expect(asked.errors).toBeUndefined();
    expect(asked.data!.askQuestion).toMatchObject({ id: streamed.id, answer: first.delta + text(rest), cached: true });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('a disconnect mid-stream abandons the upstream request and stores nothing', async () => {
    const image = await newImage();
    h.fake.holdStreams();
    const stream = open(socketOf(alice.authorization), { imageId: image.id, question: 'Abandoned?' });
    chunkOf(await stream.next());
    await stream.leave();
    await expect.poll(() => h.fake.requests[0]?.abandoned, { timeout: 20_000 }).toBe(true);
    expect(h.fake.requests[0]!.finished).toBe(false);
    expect(await storedQuestions(alice.http, image.id)).toEqual([]);

    // Nothing half-written was cached either: asking again goes upstream.
    h.fake.releaseStreams();
    const asked = await alice.http.request(AskQuestionDocument, { imageId: image.id, question: 'Abandoned?' });
    expect(asked.data!.askQuestion.cached).toBe(false);
    expect(h.fake.requests).toHaveLength(2);
  });

  it('one of two subscribers leaving does not cancel the upstream request the other still waits on', async () => {
    const image = await newImage();
    h.fake.holdStreams();
    const leaving = open(socketOf(alice.authorization), { imageId: image.id, question: 'Stay?' });
    chunkOf(await leaving.next());
    const staying = open(socketOf(alice.authorization), { imageId: image.id, question: 'Stay?' });
    const first = chunkOf(await staying.next());
    await leaving.leave();
    h.fake.releaseStreams();
    const rest = await staying.rest();
    expect(chunkOf(rest.at(-1)!).answer).toMatchObject({ answer: first.delta + text(rest) });
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.requests[0]).toMatchObject({ finished: true, abandoned: false });
  });

  it('a model failure ends the stream with its code, and stores nothing', async () => {
    const image = await newImage();
    h.fake.inject({ kind: 'status', status: 400 });
    const events = await collect(socketOf(alice.authorization), AnswerStreamDocument, { imageId: image.id, question: 'Refused?' });
    expect(events).toHaveLength(1);
    expect(errorCodes(events[0]!)).toEqual(['MODEL_REJECTED']);
    expect(await storedQuestions(alice.http, image.id)).toEqual([]);
  });
});

describe('answerStream limits', () => {
  it("another tenant's image is NOT_FOUND, with no upstream call", async () => {
    const image = await newImage();
    const events = await collect(socketOf(bob.authorization), AnswerStreamDocument, { imageId: image.id, question: 'Mine?' });
    expect(events).toHaveLength(1);
    expect(errorCodes(events[0]!)).toEqual(['NOT_FOUND']);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('a question the token budget cannot cover is RATE_LIMITED before any upstream call', async () => {
    const frugal = await keyFor('frugal', { tokensPerDay: 100 });
    const image = await uploadNew(frugal.http, { format: 'png', width: 40, height: 30 });
    const events = await collect(socketOf(frugal.authorization), AnswerStreamDocument, { imageId: image.id, question: 'Too dear?' });
    expect(events).toHaveLength(1);
    expect(errorCodes(events[0]!)).toEqual(['RATE_LIMITED']);
    expect(events[0]!.errors![0]!.message).toMatch(/budget/);
    expect(h.fake.requests).toHaveLength(0);
  });

  it('each subscribe counts as one request against the per-minute limit', async () => {
    const chatty = await keyFor('chatty', { requestsPerMinute: 3 });
    const image = await uploadNew(chatty.http, { format: 'png', width: 40, height: 30 }); // 1
    const socket = socketOf(chatty.authorization); // connection_init: 2
    expect(chunkOf((await collect(socket, AnswerStreamDocument, { imageId: image.id, question: 'One?' }))[0]!).delta).not.toBe(''); // 3
    // Refused in onSubscribe, before the operation runs: graphql-ws sends an `error` message, which iterate() throws.
    const refused = collect(socket, AnswerStreamDocument, { imageId: image.id, question: 'Two?' });
    await expect(refused).rejects.toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) as unknown })]);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('over HTTP it is refused with a clear error: subscriptions are served over graphql-ws', async () => {
    const image = await newImage();
    const response = await alice.http.request(AnswerStreamDocument, { imageId: image.id, question: 'Over HTTP?' });
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['BAD_REQUEST']);
    expect(response.errors![0]!.message).toMatch(/WebSocket \(graphql-ws\)/);
    expect(h.fake.requests).toHaveLength(0);
  });
});
