import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AnswerStreamDocument, AskQuestionDocument, ConversationDocument, MessageStreamDocument, SendMessageDocument, StartConversationDocument } from '../generated/graphql.js';
import { errorCodes, GraphQLClient, type GraphQLResponse } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { openSubscription, TestSockets } from '../support/subscriptions.js';

// Work cut short is charged (issue 21, point 2): a client that drops its
// socket mid-answer used to be charged nothing, although the endpoint bills
// the prompt and what it wrote before the cancel. Each test aborts after some
// streamed chunks (the fake holds its streams after them, so the test acts on
// the deltas it has received, not on time), then reads Query.usage and asks
// again under a budget the charge has used up.
//
// The numbers, by the estimator's rules (token-estimate.ts): a 280×280 image
// is ceil(280/28)² + 2 = 102 tokens; text one token per 3 UTF-8 bytes; a
// single question adds 32 template tokens, a conversation message 5 role
// markers. The reply is pieces of 90 bytes (one a chunk): 30 tokens each.

const RESERVE = 300; // TOKEN_RESERVE_PER_ANSWER: completion tokens reserved per answer, and max_tokens
const IMAGE = 102;
const PIECE = `${'a'.repeat(89)} `;
const REPLY = PIECE.repeat(8);
const PIECE_TOKENS = 30;
const textTokens = (text: string) => Math.ceil(Buffer.byteLength(text) / 3);
/** A question's estimated prompt: the image, the text and the chat template. */
const questionPrompt = (question: string) => IMAGE + textTokens(question) + 32;

let h: Harness;
const sockets = new TestSockets(() => h.gateway.server.url);

beforeAll(async () => {
  h = await startHarness({ env: { TOKEN_RESERVE_PER_ANSWER: String(RESERVE) } });
});
afterAll(() => h.close());
afterEach(async () => {
  h.fake.releaseStreams();
  h.fake.reset();
  h.fake.setDefaultFault(null);
  await sockets.closeAll();
});

interface Key {
  http: GraphQLClient;
  authorization: string;
}

async function keyFor(tenant: string, tokensPerDay: number): Promise<Key> {
  const { key } = await h.gateway.app.services.keys.create({ tenant, tokensPerDay });
  const authorization = `Bearer ${key}`;
  return { http: new GraphQLClient(h.gateway.server.url, { authorization }), authorization };
}

let shade = 0;
const bigImage = (key: Key) => uploadNew(key.http, { format: 'png', width: 280, height: 280, color: `#${(0x406080 + ++shade * 7919).toString(16).slice(-6)}` });

/** The key's usage today, all in one bucket. */
async function usageOf(key: Key) {
  const response = await key.http.request<{ usage: Array<Record<string, number>> }>('{ usage(groupBy: []) { calls results promptTokens completionTokens totalTokens estimatedTokens } }');
  expect(response.errors).toBeUndefined();
  return response.data!.usage[0];
}

function expectBudgetRefusal(response: GraphQLResponse<unknown>) {
  expect(errorCodes(response)).toEqual(['RATE_LIMITED']);
  expect(response.errors![0]!.message).toMatch(/budget/);
}

describe('a stream cut short is charged its prompt and the text already streamed, as estimated', () => {
  it('answerStream: sockets dropped after 3 chunks are charged in usage and against the budget; the next ask is refused', async () => {
    const prompt = questionPrompt('Cut short 1?');
    const charge = prompt + 3 * PIECE_TOKENS;
    // Two calls fit side by side (each reserves prompt + RESERVE), a third does not once the two are charged.
    const key = await keyFor('dropper', 2 * (prompt + RESERVE) + 4);
    expect(2 * charge + prompt + RESERVE).toBeGreaterThan(2 * (prompt + RESERVE) + 4);

    h.fake.holdStreams(3);
    for (const i of [1, 2]) {
      const image = await bigImage(key);
      h.fake.inject({ kind: 'content', content: REPLY });
      const socket = sockets.of(key.authorization);
      const stream = openSubscription(socket, AnswerStreamDocument, { imageId: image.id, question: `Cut short ${i}?` });
      const received: string[] = [];
      while (received.length < 3) {
        const event = await stream.next();
        expect(event.errors).toBeUndefined();
        received.push(event.data!.answerStream.delta);
      }
      expect(received.join('')).toBe(PIECE.repeat(3));
      await socket.dispose(); // the client drops its socket mid-answer
      await expect.poll(() => h.fake.requests.at(-1)?.abandoned, { timeout: 20_000 }).toBe(true);
    }

    await expect.poll(() => usageOf(key), { timeout: 20_000 }).toEqual({
      calls: 2,
      results: 0,
      promptTokens: 2 * prompt,
      completionTokens: 2 * 3 * PIECE_TOKENS,
      totalTokens: 2 * charge,
      estimatedTokens: 2 * charge,
    });
    h.fake.reset();
    expectBudgetRefusal(await key.http.request(AskQuestionDocument, { imageId: (await bigImage(key)).id, question: 'One more?' }));
    expect(h.fake.requests).toHaveLength(0);
  });

  it('messageStream: a reader who leaves after 2 chunks is charged the context sent and the text streamed; the next message is refused', async () => {
    // The first message's prompt: the image and the message with its role markers.
    const prompt = IMAGE + textTokens('Cut short?') + 5;
    const charge = prompt + 2 * PIECE_TOKENS;
    const key = await keyFor('leaver', prompt + RESERVE + 4);
    expect(charge + prompt + RESERVE).toBeGreaterThan(prompt + RESERVE + 4);
    const started = await key.http.request(StartConversationDocument, { imageIds: [(await bigImage(key)).id] });
    const conversationId = started.data!.startConversation.id;

    h.fake.holdStreams(2);
    h.fake.inject({ kind: 'content', content: REPLY });
    const stream = openSubscription(sockets.of(key.authorization), MessageStreamDocument, { conversationId, text: 'Cut short?' });
    for (let i = 0; i < 2; i++) expect((await stream.next()).data!.messageStream.delta).toBe(PIECE);
    await stream.leave();
    await expect.poll(() => h.fake.requests.at(-1)?.abandoned, { timeout: 20_000 }).toBe(true);

    await expect.poll(() => usageOf(key), { timeout: 20_000 }).toEqual({
      calls: 1,
      results: 0,
      promptTokens: prompt,
      completionTokens: 2 * PIECE_TOKENS,
      totalTokens: charge,
      estimatedTokens: charge,
    });
    // The abandoned turn leaves nothing behind (its claim released), so the next is the first message again: the same estimate.
    await expect.poll(async () => (await key.http.request(ConversationDocument, { id: conversationId, first: 10 })).data!.conversation!.messages.edges, { timeout: 20_000 }).toEqual([]);
    h.fake.reset();
    const refused = await key.http.request(SendMessageDocument, { conversationId, text: 'Cut short?' });
    expectBudgetRefusal(refused);
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('a call the client leaves before any reply is charged its estimated prompt', () => {
  it('askQuestion over HTTP: a client that closes the connection while the endpoint works owes the prompt; the next ask is refused', async () => {
    const prompt = questionPrompt('Anyone there?');
    const key = await keyFor('hangup', prompt + RESERVE + 4);
    const image = await bigImage(key);
    h.fake.setDefaultFault({ kind: 'hang' });
    const controller = new AbortController();
    const asking = key.http.request(AskQuestionDocument, { imageId: image.id, question: 'Anyone there?' }, controller.signal).catch(() => 'aborted');
    await expect.poll(() => h.fake.requests.length, { timeout: 20_000 }).toBe(1);
    controller.abort();
    expect(await asking).toBe('aborted');
    await expect.poll(() => h.fake.requests[0]!.abandoned, { timeout: 20_000 }).toBe(true);

    await expect.poll(() => usageOf(key), { timeout: 20_000 }).toEqual({
      calls: 1,
      results: 0,
      promptTokens: prompt,
      completionTokens: 0,
      totalTokens: prompt,
      estimatedTokens: prompt,
    });
    h.fake.setDefaultFault(null);
    h.fake.reset();
    expectBudgetRefusal(await key.http.request(AskQuestionDocument, { imageId: image.id, question: 'One more?' }));
    expect(h.fake.requests).toHaveLength(0);
  });
});
