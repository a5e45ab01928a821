import path from 'node:path';
import Database from 'better-sqlite3';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AnalyticsQuestionsDocument,
  ConversationDocument,
  ConversationsDocument,
  DeleteConversationDocument,
  MessageStreamDocument,
  SendMessageDocument,
  StartConversationDocument,
  type MessageFieldsFragment,
  type MessageStreamSubscription,
} from '../generated/graphql.js';
import type { RecordedRequest } from '../fake-qwen/index.js';
import { collect, errorCodes, GraphQLClient, type GraphQLResponse } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { openSubscription, TestSockets } from '../support/subscriptions.js';

// Conversations about images (issue 14, points 1, 3 and 5, and messageStream),
// over HTTP and real graphql-ws against the fake endpoint, which records every
// message of every request and streams server-sent chunks. `holdStreams()`
// pauses each upstream stream after its first chunk, so a test can act while
// a reply is being written.

interface Tenant {
  http: GraphQLClient;
  authorization: string;
}

let h: Harness;
let alice: Tenant;
let bob: Tenant;
const sockets = new TestSockets(() => h.gateway.server.url);

async function keyFor(harness: Harness, tenant: string, limits: { tokensPerDay?: number } = {}): Promise<Tenant> {
  const { key } = await harness.gateway.app.services.keys.create({ tenant, ...limits });
  const authorization = `Bearer ${key}`;
  return { http: new GraphQLClient(harness.gateway.server.url, { authorization }), authorization };
}

beforeAll(async () => {
  h = await startHarness();
  alice = await keyFor(h, 'alice');
  bob = await keyFor(h, 'bob');
});
afterAll(() => h.close());
afterEach(async () => {
  h.fake.releaseStreams();
  h.fake.reset();
  await sockets.closeAll();
});

const socketOf = (authorization: string) => sockets.of(authorization);

let shade = 0;
const newImage = (client: GraphQLClient, width = 40, height = 30) =>
  uploadNew(client, { format: 'png', width, height, color: `#${(0x204060 + ++shade * 7919).toString(16).slice(-6)}` });

async function start(tenant: Tenant, imageIds: string[], title?: string) {
  const started = await tenant.http.request(StartConversationDocument, { imageIds, title });
  expect(started.errors).toBeUndefined();
  return started.data!.startConversation;
}

async function send(tenant: Tenant, conversationId: string, text: string): Promise<MessageFieldsFragment> {
  const sent = await tenant.http.request(SendMessageDocument, { conversationId, text });
  expect(sent.errors).toBeUndefined();
  return sent.data!.sendMessage;
}

async function messagesOf(tenant: Tenant, id: string) {
  const read = await tenant.http.request(ConversationDocument, { id, first: 100 });
  expect(read.errors).toBeUndefined();
  return read.data!.conversation!.messages.edges.map((edge) => edge.node);
}

/** What a request sent, message by message (the fake's summary: role, text, images carried). */
const sentMessages = (request: RecordedRequest | undefined) => request!.messages.filter((message) => message.role !== 'system');

type StreamEvent = GraphQLResponse<MessageStreamSubscription>;
const chunkOf = (event: StreamEvent) => {
  expect(event.errors).toBeUndefined();
  return event.data!.messageStream;
};
const deltas = (events: StreamEvent[]) => events.map((event) => chunkOf(event).delta).join('');

describe('conversations', () => {
  it('a three-turn conversation sends its images once, in the first user turn, and every earlier turn with each message', async () => {
    const [kitchen, garden] = [await newImage(alice.http, 40, 30), await newImage(alice.http, 30, 20)];
    const conversation = await start(alice, [kitchen.id, garden.id], '  Two rooms ');
    expect(conversation).toMatchObject({ title: 'Two rooms', images: [{ id: kitchen.id }, { id: garden.id }], usage: { totalTokens: 0 } });

    const questions = ['Which is brighter?', 'And the other one?', 'Thanks:\n- one\n- two'];
    const replies: MessageFieldsFragment[] = [];
    for (const question of questions) replies.push(await send(alice, conversation.id, question));

    expect(h.fake.requests).toHaveLength(3);
    const seen = h.fake.requests[0]!.images;
    for (const [i, reply] of replies.entries()) {
      const request = h.fake.requests[i]!;
      // Both images in every request (the model keeps no state), once, in the first user turn only.
      expect(request.images.map((image) => [image.width, image.height, image.meanColor])).toEqual(seen.map((image) => [image.width, image.height, image.meanColor]));
      expect(reply).toMatchObject({ role: 'ASSISTANT', text: `40x30 ${seen[0]!.meanColor} + 30x20 ${seen[1]!.meanColor} :: ${questions[i]}`, model: 'qwen-vl-test' });
      expect(reply.usage).toEqual({ promptTokens: 1010, completionTokens: 20, totalTokens: 1030, cachedTokens: 0 });
    }
    expect(seen.map((image) => [image.width, image.height])).toEqual([[40, 30], [30, 20]]);
    expect(sentMessages(h.fake.requests[2])).toEqual([
      { role: 'user', text: questions[0], images: 2 },
      { role: 'assistant', text: replies[0]!.text, images: 0 },
      { role: 'user', text: questions[1], images: 0 },
      { role: 'assistant', text: replies[1]!.text, images: 0 },
      { role: 'user', text: questions[2], images: 0 },
    ]);
    expect(sentMessages(h.fake.requests[0])).toEqual([{ role: 'user', text: questions[0], images: 2 }]);

    const read = await alice.http.request(ConversationDocument, { id: conversation.id, first: 4 });
    const stored = read.data!.conversation!;
    expect(stored.messages.edges.map((edge) => [edge.node.role, edge.node.text])).toEqual([
      ['USER', questions[0]],
      ['ASSISTANT', replies[0]!.text],
      ['USER', questions[1]],
      ['ASSISTANT', replies[1]!.text],
    ]);
    expect(stored.messages.edges[0]!.node).toMatchObject({ model: null, usage: null, latencyMs: null });
    expect(stored.usage).toEqual({ promptTokens: 3 * 1010, completionTokens: 3 * 20, totalTokens: 3 * 1030, cachedTokens: 0 });
    expect(stored.updatedAt).toBe(replies[2]!.createdAt);
    const after = await alice.http.request(ConversationDocument, { id: conversation.id, first: 4, after: stored.messages.pageInfo.endCursor });
    expect(after.data!.conversation!.messages.edges.map((edge) => edge.node.id)).toEqual([expect.any(String), replies[2]!.id]);
    expect(after.data!.conversation!.messages.pageInfo.hasNextPage).toBe(false);

    // Conversation turns are not Questions: the analytics list stays for single answers.
    const listed = await alice.http.request(AnalyticsQuestionsDocument, { first: 10 });
    expect(listed.data!.questions.edges).toEqual([]);
  });

  it('lists the tenant’s conversations, newest first', async () => {
    const image = await newImage(alice.http);
    const older = await start(alice, [image.id], 'older');
    const newer = await start(alice, [image.id], 'newer');
    const listed = await alice.http.request(ConversationsDocument, { first: 2 });
    expect(listed.data!.conversations.edges.map((edge) => edge.node.id)).toEqual([newer.id, older.id]);
  });

  it('refuses what it cannot send, before anything is stored or sent upstream', async () => {
    const image = await newImage(alice.http);
    expect(errorCodes(await alice.http.request(StartConversationDocument, { imageIds: [] }))).toEqual(['BAD_USER_INPUT']);
    const unknown = await alice.http.request(StartConversationDocument, { imageIds: [image.id, 'no-such-image'] });
    expect(unknown.errors?.[0]).toMatchObject({ message: 'No image with id "no-such-image".', extensions: { code: 'NOT_FOUND' } });
    const conversation = await start(alice, [image.id]);
    const long = await alice.http.request(SendMessageDocument, { conversationId: conversation.id, text: 'x'.repeat(2001) });
    expect(long.errors?.[0]?.message).toMatch(/2001 characters long; the limit is 2000 \(MAX_QUESTION_LENGTH\)/);
    expect(errorCodes(await alice.http.request(SendMessageDocument, { conversationId: 'no-such-conversation', text: 'Hello?' }))).toEqual(['NOT_FOUND']);

    // The token budget: the estimate (the image, the context, a reply) is reserved before the call.
    const poor = await keyFor(h, 'alice', { tokensPerDay: 100 });
    const refused = await poor.http.request(SendMessageDocument, { conversationId: conversation.id, text: 'Too dear?' });
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expect(h.fake.requests).toHaveLength(0);
    expect(await messagesOf(alice, conversation.id)).toEqual([]);
  });

  it('a model failure is reported like an answer’s, and the turn leaves nothing behind', async () => {
    const conversation = await start(alice, [(await newImage(alice.http)).id]);
    await send(alice, conversation.id, 'First?');
    h.fake.inject({ kind: 'status', status: 400 });
    expect(errorCodes(await alice.http.request(SendMessageDocument, { conversationId: conversation.id, text: 'Refused?' }))).toEqual(['MODEL_REJECTED']);
    expect((await messagesOf(alice, conversation.id)).map((message) => message.text)).toEqual(['First?', expect.stringMatching(/:: First\?$/)]);
    // The next turn goes on from the last whole exchange.
    await send(alice, conversation.id, 'Second?');
    expect(sentMessages(h.fake.requests.at(-1)).map((message) => message.text)).toEqual(['First?', expect.stringMatching(/:: First\?$/), 'Second?']);
  });

  it('deleteConversation removes it with its messages; deleting it again answers false', async () => {
    const conversation = await start(alice, [(await newImage(alice.http)).id]);
    await send(alice, conversation.id, 'Remember me?');
    expect((await alice.http.request(DeleteConversationDocument, { id: conversation.id })).data).toEqual({ deleteConversation: true });
    expect((await alice.http.request(ConversationDocument, { id: conversation.id })).data).toEqual({ conversation: null });
    expect((await alice.http.request(DeleteConversationDocument, { id: conversation.id })).data).toEqual({ deleteConversation: false });
    const db = new Database(path.join(h.gateway.dataDir, 'gateway.db'), { readonly: true });
    try {
      const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM "${table}" WHERE "conversationId" = ?`).get(conversation.id) as { n: number }).n;
      expect([count('Message'), count('ConversationImage')]).toEqual([0, 0]);
    } finally {
      db.close();
    }
  });
});

describe('messageStream', () => {
  it('sends the first delta before the endpoint has finished, then the stored reply; then completes', async () => {
    const conversation = await start(alice, [(await newImage(alice.http)).id]);
    const earlier = await send(alice, conversation.id, 'Warm up?');
    h.fake.reset();
    h.fake.holdStreams();
    const stream = openSubscription(socketOf(alice.authorization), MessageStreamDocument, { conversationId: conversation.id, text: 'Streamed?' });
    const first = chunkOf(await stream.next());
    expect(first.delta).not.toBe('');
    expect(first.message).toBeNull();
    expect(h.fake.requests[0]).toMatchObject({ stream: true, finished: false });

    h.fake.releaseStreams();
    const rest = await stream.rest();
    const whole = first.delta + deltas(rest);
    expect(whole).toMatch(/^40x30 #\w{6} :: Streamed\?$/);
    const last = chunkOf(rest.at(-1)!);
    expect(last).toMatchObject({ delta: '', message: { role: 'ASSISTANT', text: whole, model: 'qwen-vl-test', usage: { totalTokens: 1030 } } });
    expect(rest.slice(0, -1).every((event) => chunkOf(event).message === null)).toBe(true);
    expect(sentMessages(h.fake.requests[0]).map((message) => message.text)).toEqual(['Warm up?', earlier.text, 'Streamed?']);
    expect((await messagesOf(alice, conversation.id)).map((message) => message.id).at(-1)).toBe(last.message!.id);
  });

  for (const how of ['leaves the stream', 'closes its socket'] as const) {
    it(`a client that ${how} mid-reply aborts the upstream request, and the turn leaves nothing behind`, async () => {
      const conversation = await start(alice, [(await newImage(alice.http)).id]);
      const kept = [await send(alice, conversation.id, 'Kept?')];
      const before = await messagesOf(alice, conversation.id);
      h.fake.reset();
      h.fake.holdStreams();
      const socket = socketOf(alice.authorization);
      const stream = openSubscription(socket, MessageStreamDocument, { conversationId: conversation.id, text: 'Abandoned?' });
      chunkOf(await stream.next());
      // The user message is stored while the reply is written…
      expect((await messagesOf(alice, conversation.id)).map((message) => message.text)).toEqual([...before.map((message) => message.text), 'Abandoned?']);
      if (how === 'leaves the stream') await stream.leave();
      else await socket.dispose();
      await expect.poll(() => h.fake.requests[0]?.abandoned, { timeout: 20_000 }).toBe(true);
      expect(h.fake.requests[0]!.finished).toBe(false);
      // …and removed with the claim once the turn is abandoned: the conversation is as it was.
      await expect.poll(async () => (await messagesOf(alice, conversation.id)).map((message) => message.id), { timeout: 20_000 }).toEqual(before.map((message) => message.id));

      h.fake.releaseStreams();
      kept.push(await send(alice, conversation.id, 'Next?'));
      expect(sentMessages(h.fake.requests.at(-1)).map((message) => message.text)).toEqual(['Kept?', kept[0]!.text, 'Next?']);
    });
  }

  it('a stream over HTTP is refused: streams are served over graphql-ws only', async () => {
    const response = await alice.http.request(print(MessageStreamDocument), { conversationId: 'any', text: 'Over HTTP?' });
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['BAD_REQUEST']);
  });
});

describe('one turn at a time', () => {
  /** sendMessage as a raw POST the test can abort, as a client that goes away. */
  const sendAbortable = (tenant: Tenant, conversationId: string, text: string, signal: AbortSignal) =>
    fetch(h.gateway.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: tenant.authorization },
      body: JSON.stringify({ query: print(SendMessageDocument), variables: { conversationId, text } }),
      signal,
    }).then((response) => response.json() as Promise<GraphQLResponse<unknown>>);

  it('of two concurrent sendMessage calls, one is answered and the other gets CONFLICT; a stream meanwhile too', async () => {
    const conversation = await start(alice, [(await newImage(alice.http)).id]);
    // The first request upstream hangs: its turn holds the conversation until its client goes away.
    h.fake.inject({ kind: 'hang' });
    const clients = [new AbortController(), new AbortController()];
    const calls = clients.map((client, i) => sendAbortable(alice, conversation.id, `Concurrent ${i}?`, client.signal).then((body) => ({ i, body })));
    const refused = await Promise.race(calls);
    expect(errorCodes(refused.body)).toEqual(['CONFLICT']);
    expect(refused.body.errors![0]!.message).toMatch(/still being answered/);
    const streamed = await collect(socketOf(alice.authorization), MessageStreamDocument, { conversationId: conversation.id, text: 'Me too?' });
    expect(streamed.map(errorCodes)).toEqual([['CONFLICT']]);
    // The holder's request reaches the endpoint (and hangs there); the refused ones never do.
    await expect.poll(() => h.fake.requests.length, { timeout: 20_000 }).toBe(1);

    const holder = 1 - refused.i;
    expect((await messagesOf(alice, conversation.id)).map((message) => message.text)).toEqual([`Concurrent ${holder}?`]);
    clients[holder]!.abort();
    await calls[holder]!.catch(() => undefined);
    await expect.poll(() => h.fake.requests[0]?.abandoned, { timeout: 20_000 }).toBe(true);
    await expect.poll(async () => (await messagesOf(alice, conversation.id)).length, { timeout: 20_000 }).toBe(0);

    // Released: the next message is answered.
    expect((await send(alice, conversation.id, 'Now?')).text).toMatch(/:: Now\?$/);
  });

  it('a claim older than QWEN_DEADLINE_MS (its process died) is taken over, and that turn’s question removed', async () => {
    const conversation = await start(alice, [(await newImage(alice.http)).id]);
    const kept = await send(alice, conversation.id, 'Before the crash?');
    // What a process that died mid-turn leaves behind: its claim, and its question without a reply
    // (written as Prisma writes SQLite dates).
    const sqliteDate = (date: Date) => date.toISOString().replace('Z', '+00:00');
    const db = new Database(path.join(h.gateway.dataDir, 'gateway.db'));
    try {
      db.prepare('UPDATE "Conversation" SET "replyingSince" = ? WHERE "id" = ?').run(sqliteDate(new Date(Date.now() - 3_600_000)), conversation.id);
      db.prepare('INSERT INTO "Message" ("id", "conversationId", "role", "text", "createdAt") VALUES (?, ?, \'USER\', \'Lost?\', ?)').run(
        'lost-question',
        conversation.id,
        sqliteDate(new Date()),
      );
    } finally {
      db.close();
    }
    expect((await messagesOf(alice, conversation.id)).map((message) => message.text)).toEqual(['Before the crash?', kept.text, 'Lost?']);

    await send(alice, conversation.id, 'After the crash?');
    expect(sentMessages(h.fake.requests.at(-1)).map((message) => message.text)).toEqual(['Before the crash?', kept.text, 'After the crash?']);
    expect((await messagesOf(alice, conversation.id)).map((message) => message.text)).toEqual(['Before the crash?', kept.text, 'After the crash?', expect.stringMatching(/:: After the crash\?$/)]);
  });
});

describe('tenants', () => {
  it('another tenant can neither read, list, continue, stream nor delete a conversation, nor start one on another’s image', async () => {
    const image = await newImage(alice.http);
    const conversation = await start(alice, [image.id], 'private');
    await send(alice, conversation.id, 'Mine?');
    h.fake.reset();

    expect((await bob.http.request(ConversationDocument, { id: conversation.id })).data).toEqual({ conversation: null });
    const listed = await bob.http.request(ConversationsDocument, { first: 100 });
    expect(listed.data!.conversations.edges.map((edge) => edge.node.id)).not.toContain(conversation.id);
    expect(errorCodes(await bob.http.request(SendMessageDocument, { conversationId: conversation.id, text: 'Yours?' }))).toEqual(['NOT_FOUND']);
    const streamed = await collect(socketOf(bob.authorization), MessageStreamDocument, { conversationId: conversation.id, text: 'Yours?' });
    expect(streamed.map(errorCodes)).toEqual([['NOT_FOUND']]);
    expect((await bob.http.request(DeleteConversationDocument, { id: conversation.id })).data).toEqual({ deleteConversation: false });
    expect(errorCodes(await bob.http.request(StartConversationDocument, { imageIds: [image.id] }))).toEqual(['NOT_FOUND']);

    expect(h.fake.requests).toHaveLength(0);
    expect((await messagesOf(alice, conversation.id)).map((message) => message.text)).toEqual(['Mine?', expect.stringMatching(/:: Mine\?$/)]);
  });
});

describe('GET /export/conversations.jsonl', () => {
  const exportUrl = () => new URL('/export/conversations.jsonl', h.gateway.server.url).href;
  const download = (authorization?: string) => fetch(exportUrl(), { headers: authorization ? { authorization } : {} });
  const jsonLines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

  it('streams the tenant’s conversations with their messages, and only its own', async () => {
    const carol = await keyFor(h, 'carol');
    const dave = await keyFor(h, 'dave');
    const image = await newImage(carol.http);
    const talked = await start(carol, [image.id], 'exported');
    const reply = await send(carol, talked.id, 'Exported?');
    // More conversations than one page of the export (100), so it reads on past the first.
    const quiet: Array<Awaited<ReturnType<typeof start>>> = [];
    for (let i = 0; i < 100; i++) quiet.push(await start(carol, [image.id]));
    await start(dave, [(await newImage(dave.http)).id], 'not carol’s');

    const response = await download(carol.authorization);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="conversations-\d{4}-\d{2}-\d{2}\.jsonl"$/);
    const lines = jsonLines(await response.text());
    // Every conversation once (newest first; ids break ties within a millisecond, as in every list).
    expect(lines.map((line) => line.id).sort()).toEqual([...quiet, talked].map((c) => c.id).sort());
    expect(lines.find((line) => line.id === talked.id)).toEqual({
      id: talked.id,
      title: 'exported',
      createdAt: talked.createdAt,
      updatedAt: reply.createdAt,
      usage: reply.usage,
      images: [{ id: image.id, sha256: image.sha256, mimeType: 'image/png', width: 40, height: 30 }],
      messages: [
        { id: expect.any(String), role: 'USER', text: 'Exported?', model: null, usage: null, latencyMs: null, finishReason: null, createdAt: expect.any(String) },
        { ...reply, finishReason: 'STOP' },
      ],
    });
    expect(lines.find((line) => line.id === quiet[0]!.id)).toMatchObject({ title: null, messages: [], usage: { totalTokens: 0 } });

    const daves = jsonLines(await (await download(dave.authorization)).text());
    expect(daves.map((line) => line.title)).toEqual(['not carol’s']);
  });

  it('asks for a key like /graphql does', async () => {
    const response = await download();
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});

describe('context trimming (CONVERSATION_MAX_CONTEXT_TOKENS)', () => {
  let small: Harness;
  let erin: Tenant;
  beforeAll(async () => {
    small = await startHarness({ env: { CONVERSATION_MAX_CONTEXT_TOKENS: '100' } });
    erin = await keyFor(small, 'erin');
  });
  afterAll(() => small?.close());

  it('keeps the image, the first question and the newest exchange that fits; the middle is dropped', async () => {
    // Sizes by the documented estimate: a 28×28 image is 1 patch + 2 = 3 tokens; a 30-byte
    // question 10 + 5 (role markers) = 15; its reply ("28x28 #rrggbb :: " + question, 47 bytes)
    // 16 + 5 = 21. Budget 100: image, first and new question (33), one exchange (36) → 69; two would pass 100.
    const image = await uploadNew(erin.http, { format: 'png', width: 28, height: 28, color: '#806040' });
    const conversation = await start(erin, [image.id]);
    const question = (n: number) => `Question ${n}`.padEnd(30, '.');
    const replies = [];
    for (let n = 1; n <= 5; n++) replies.push(await send(erin, conversation.id, question(n)));
    expect(replies[0]!.text).toHaveLength(47);

    const last = sentMessages(small.fake.requests.at(-1));
    expect(last).toEqual([
      { role: 'user', text: question(1), images: 1 },
      { role: 'user', text: question(4), images: 0 },
      { role: 'assistant', text: replies[3]!.text, images: 0 },
      { role: 'user', text: question(5), images: 0 },
    ]);
    // Nothing is deleted: the conversation keeps every message.
    expect(await messagesOf(erin, conversation.id)).toHaveLength(10);
  });
});
