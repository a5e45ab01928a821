import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, ImageObjectsDocument, ImageVisionAndQuestionsDocument, ReadImageTextDocument, SendMessageDocument, StartConversationDocument } from '../generated/graphql.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import type { RecordedRequest } from '../fake-qwen/index.js';

// The real Qwen endpoint's thinking models and model routing (issue 23,
// points 3 and 10) against the fake: reasoning streamed as
// `reasoning_content` and billed as completion tokens, thinking-only models
// that refuse non-streaming calls, a model per kind of work, and fallback
// models tried when the model asked is unavailable (never on a quota refusal).

let shade = 0;
const nextColor = () => `#${(0x205080 + ++shade * 7919).toString(16).slice(-6)}`;
const upload = (client: GraphQLClient, width = 64, height = 64) => uploadNew(client, { format: 'png', width, height, color: nextColor() });

/** The fake's plain usage for one prompt: 1,010 prompt and 20 completion tokens; reasoning comes on top of the completion. */
const ANSWER_TOKENS = 20;

type ThinkingBody = { stream?: boolean; enable_thinking?: boolean; thinking_budget?: number };
const bodyOf = (request: RecordedRequest) => request.body as ThinkingBody;

describe('a hybrid thinking model with QWEN_THINKING_BUDGET', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { QWEN_MODEL: 'qwen3-vl-plus', QWEN_THINKING_BUDGET: '3000' } });
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());

  it('asks with enable_thinking and thinking_budget, streamed; the reasoning is billed but is not the answer', async () => {
    const image = await upload(h.gateway.client);
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'What colour is it?' });
    expect(response.errors).toBeUndefined();
    const asked = h.fake.requests;
    expect(asked).toHaveLength(1);
    expect(bodyOf(asked[0]!)).toMatchObject({ stream: true, enable_thinking: true, thinking_budget: 3000 });
    const question = response.data!.askQuestion;
    expect(question.answer).not.toContain('Let me look');
    expect(question.usage.completionTokens).toBe(ANSWER_TOKENS + 3000);
    expect(question.usage.totalTokens).toBe(question.usage.promptTokens + ANSWER_TOKENS + 3000);
  });

  it('reserves the thinking budget: a key whose budget covers the answer but not the reasoning is refused before any upstream call', async () => {
    // A 64×64 image, the question and TOKEN_RESERVE_PER_ANSWER come to well under 1,000 tokens; with the reasoning, over 3,500.
    const { key } = await h.gateway.app.services.keys.create({ tenant: 'thinker', tokensPerDay: 2000 });
    const client = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
    const image = await upload(client);
    const response = await client.request(AskQuestionDocument, { imageId: image.id, question: 'Is it blue?' });
    expect(errorCodes(response)).toEqual(['RATE_LIMITED']);
    // A conversation's reply reserves the reasoning too.
    const started = await client.request(StartConversationDocument, { imageIds: [image.id] });
    expect(started.errors).toBeUndefined();
    const sent = await client.request(SendMessageDocument, { conversationId: started.data!.startConversation.id, text: 'Is it blue?' });
    expect(errorCodes(sent)).toEqual(['RATE_LIMITED']);
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('thinking-only models', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());

  it('a known one (qvq-max) is asked streamed from the start, its reasoning reserved and billed', async () => {
    await restartGateway(h, { QWEN_MODEL: 'qvq-max' });
    const image = await upload(h.gateway.client);
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Which shape is it?' });
    expect(response.errors).toBeUndefined();
    expect(h.fake.requests.map((r) => bodyOf(r).stream)).toEqual([true]);
    expect(response.data!.askQuestion.usage.completionTokens).toBe(ANSWER_TOKENS + 2500);
  });

  it('an unknown one that refuses a non-streaming call (DashScope 400) is asked again streamed, and streamed from then on', async () => {
    await restartGateway(h, { QWEN_MODEL: 'custom-vl-thinking' });
    const image = await upload(h.gateway.client);
    const first = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'First?' });
    expect(first.errors).toBeUndefined();
    const second = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Second?' });
    expect(second.errors).toBeUndefined();
    expect(h.fake.requests.map((r) => [bodyOf(r).stream ?? false, r.finished])).toEqual([
      [false, true],
      [true, true],
      [true, true],
    ]);
    expect(first.data!.askQuestion.answer).not.toContain('Let me look');
  });
});

describe('a model per kind of work (QWEN_OCR_MODEL)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { QWEN_MODEL: 'qwen-vl-max', QWEN_OCR_MODEL: 'qwen-vl-ocr' } });
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());

  it('reads text with the OCR model and everything else with QWEN_MODEL, each cached under its own model', async () => {
    const image = await upload(h.gateway.client);
    const response = await h.gateway.client.request(ImageVisionAndQuestionsDocument, { id: image.id, q1: 'One?', q2: 'Two?', q3: 'Three?' });
    expect(response.errors).toBeUndefined();
    expect(response.data!.image!.text!.model).toBe('qwen-vl-ocr');
    expect(h.fake.requestsFor('qwen-vl-ocr')).toHaveLength(1);
    expect(h.fake.requestsFor('qwen-vl-ocr')[0]!.packed).toBe(false);
    // The moderation and the three questions still travel together, to the primary model.
    expect(h.fake.requestsFor('qwen-vl-max')).toHaveLength(1);
    expect(h.fake.requestsFor('qwen-vl-max')[0]!.prompts).toHaveLength(4);

    const again = await h.gateway.client.request(ReadImageTextDocument, { id: image.id });
    expect(again.data!.image!.text).toMatchObject({ model: 'qwen-vl-ocr', cached: true });
    expect(h.fake.requests).toHaveLength(2);
  });
});

describe('fallback models (QWEN_FALLBACK_MODELS)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { QWEN_MODEL: 'qwen3-vl-plus', QWEN_FALLBACK_MODELS: 'qwen-vl-max', CIRCUIT_MIN_REQUESTS: '100' } });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.fake.reset();
    h.fake.setModelFault('qwen3-vl-plus', null);
  });

  it('asks the fallback when the model answers 503, and reads its boxes in its own (Qwen2.5-VL) frame', async () => {
    h.fake.setModelFault('qwen3-vl-plus', { kind: 'status', status: 503 });
    // 720×477 is seen by Qwen2.5-VL as 728×476: absolute boxes read as 0..1000 would land far off.
    const image = await upload(h.gateway.client, 720, 477);
    const response = await h.gateway.client.request(ImageObjectsDocument, { id: image.id });
    expect(response.errors).toBeUndefined();
    expect(h.fake.requestsFor('qwen3-vl-plus')).toHaveLength(1);
    expect(h.fake.requestsFor('qwen-vl-max')).toHaveLength(1);
    const detection = response.data!.image!.objects!;
    expect(detection.model).toBe('qwen-vl-max');
    const box = detection.objects[0]!.box;
    expect(Math.abs(box.x - 720 / 4)).toBeLessThanOrEqual(1);
    expect(Math.abs(box.y + box.height - (477 * 3) / 4)).toBeLessThanOrEqual(1);
  });

  it('stores the answer under the model that answered', async () => {
    h.fake.setModelFault('qwen3-vl-plus', { kind: 'reset' });
    const image = await upload(h.gateway.client);
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Who answers?' });
    expect(response.errors).toBeUndefined();
    expect(response.data!.askQuestion.model).toBe('qwen-vl-max');
  });

  it('does not ask the fallback when the account is out of quota', async () => {
    h.fake.setModelFault('qwen3-vl-plus', { kind: 'billing', code: 'insufficient_quota' });
    const image = await upload(h.gateway.client);
    const response = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Anyone?' });
    expect(errorCodes(response)).toEqual(['MODEL_QUOTA_EXHAUSTED']);
    expect(h.fake.requestsFor('qwen-vl-max')).toHaveLength(0);
  });
});
