import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AskQuestionDocument, GetJobDocument, JobCompletedDocument, ListQuestionsDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import { collect, errorCodes, GraphQLClient, wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';

// Token budgets under concurrency (issue 10, point 3): every upstream call
// reserves its estimated tokens first and settles to the billed usage after,
// so concurrent calls together never spend more than the key's budget.
//
// The fake bills 320 tokens a call. A call about a 280×280 image is
// estimated at ceil(280/28)² + 2 = 102 image tokens, the text, and 300 per
// answer: at least 438, so every estimate covers what is billed, as the
// estimate must for a real model, and then the budget holds exactly.

const BUDGET = 2000;

let h: Harness;
let client: GraphQLClient;
let authorization: string;
let shade = 0;

beforeEach(async () => {
  h = await startHarness({ env: { TOKEN_RESERVE_PER_ANSWER: '300', QWEN_MAX_PROMPTS_PER_CALL: '4' }, fake: { usage: { prompt: 300, completion: 20 } } });
  const { key } = await h.gateway.app.services.keys.create({ tenant: 'frugal', tokensPerDay: BUDGET });
  authorization = `Bearer ${key}`;
  client = new GraphQLClient(h.gateway.server.url, { authorization });
});
afterEach(() => h?.close());

const bigImage = () => uploadNew(client, { format: 'png', width: 280, height: 280, color: `#${(0x103050 + ++shade * 7919).toString(16).slice(-6)}` });

/** What the key was billed: the usage of every answer stored for it. */
async function spent(): Promise<number> {
  const listed = await client.request(ListQuestionsDocument, { first: 100 });
  expect(listed.errors).toBeUndefined();
  return listed.data!.questions.edges.reduce((sum, edge) => sum + edge.node.usage.totalTokens, 0);
}

function expectBudgetRefusal(error: { extensions?: Record<string, unknown> } | undefined) {
  expect(error?.extensions?.code).toBe('RATE_LIMITED');
  expect(error?.extensions?.retryAfter).toBeGreaterThan(0);
}

describe('token budgets under concurrency', () => {
  it('20 concurrent askQuestion calls spend no more than the budget; the rest are refused before any upstream call', async () => {
    const images = await Promise.all(Array.from({ length: 20 }, bigImage));
    const responses = await Promise.all(images.map((image, i) => client.request(AskQuestionDocument, { imageId: image.id, question: `Concurrent ${i}?` })));
    const answered = responses.filter((r) => !r.errors);
    expect(answered.length).toBeGreaterThan(0);
    for (const refused of responses.filter((r) => r.errors)) expectBudgetRefusal(refused.errors![0]);
    expect(h.fake.requests).toHaveLength(answered.length);
    expect(await spent()).toBeLessThanOrEqual(BUDGET);
  });

  it('one request with 30 aliased prompts about an image spends no more than the budget', async () => {
    const image = await bigImage();
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: answer(question: "Aliased ${i}?") { answer }`).join('\n');
    const response = await client.request<{ image: Record<string, { answer: string } | null> }>(`{ image(id: "${image.id}") { ${aliases} } }`);
    const refusals = response.errors ?? [];
    expect(refusals.length).toBeGreaterThan(0);
    for (const error of refusals) expectBudgetRefusal(error);
    const answered = Object.values(response.data!.image).filter((a) => a !== null).length;
    expect(answered).toBeGreaterThan(0);
    expect(answered + refusals.length).toBe(30);
    expect(await spent()).toBeLessThanOrEqual(BUDGET);
  });

  it('a job of 20 images × 2 questions stops at the budget and ends its remaining items with RATE_LIMITED', async () => {
    const images = await Promise.all(Array.from({ length: 20 }, bigImage));
    const submitted = await client.request(SubmitAnalysisDocument, { input: { imageIds: images.map((i) => i.id), questions: ['First?', 'Second?'] } });
    expect(submitted.errors).toBeUndefined();
    const socket = wsClient(h.gateway.server.url, { authorization });
    const [completed] = await collect(socket, JobCompletedDocument, { id: submitted.data!.submitAnalysis.id });
    await socket.dispose();
    const final = completed!.data!.jobCompleted;
    expect(final.done).toBeGreaterThan(0);
    expect(final.failed).toBe(final.total - final.done);

    const job = (await client.request(GetJobDocument, { id: final.id })).data!.job!;
    const failed = job.items.filter((item) => item.status === 'FAILED');
    expect(failed).toHaveLength(final.failed);
    expect(failed.every((item) => item.errorCode === 'RATE_LIMITED' && /budget/.test(item.error!))).toBe(true);
    expect(await spent()).toBeLessThanOrEqual(BUDGET);
  });

  it('refuses with RATE_LIMITED and retryAfter when a call can never fit the budget, and says so on a job it ends', async () => {
    const { key } = await h.gateway.app.services.keys.create({ tenant: 'tiny', tokensPerDay: 300 });
    const tinyAuthorization = `Bearer ${key}`;
    const tiny = new GraphQLClient(h.gateway.server.url, { authorization: tinyAuthorization });
    const image = await uploadNew(tiny, { format: 'png', width: 280, height: 280, color: '#224466' });
    const refused = await tiny.request(AskQuestionDocument, { imageId: image.id, question: 'Too big?' });
    expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
    expectBudgetRefusal(refused.errors![0]);
    expect(refused.errors![0]!.message).toMatch(/more than this key's whole budget of 300/);

    const submitted = await tiny.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Job?'] } });
    const socket = wsClient(h.gateway.server.url, { authorization: tinyAuthorization });
    const [completed] = await collect(socket, JobCompletedDocument, { id: submitted.data!.submitAnalysis.id });
    await socket.dispose();
    expect(completed!.data!.jobCompleted).toMatchObject({ status: 'FAILED', failed: 1, error: expect.stringMatching(/token budget ran out/) });
    expect(h.fake.requests).toHaveLength(0);
  });
});
