import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fitWithin } from '../../src/model/image-frame.js';
import { CAPTION_PROMPTS } from '../../src/modules/answers/prompts.js';
import { expectedAnswer } from '../fake-qwen/index.js';
import { AllImageInsightsDocument, AskOnImageDocument, AskQuestionDocument, CaptionImageDocument, ImageInsightsDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { sha256, uploadNew } from '../support/flows.js';
import { solidColorHex } from '../support/images.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.fake.reset();
  h.fake.setDelay(0);
});

const client = () => h.gateway.client;
const answerFor = async (image: { width: number; height: number; bytes: Buffer }, prompt: string) =>
  expectedAnswer({ width: image.width, height: image.height, meanColor: await solidColorHex(image.bytes) }, prompt);

describe('captions and questions', () => {
  it('captions an image from the image itself, stores usage and serves the second time from the cache', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 120, height: 80, color: '#336699' });
    const first = await client().request(CaptionImageDocument, { imageId: image.id });
    expect(first.errors).toBeUndefined();
    const caption = first.data!.captionImage;
    expect(caption).toMatchObject({
      style: 'BRIEF',
      text: await answerFor(image, CAPTION_PROMPTS.BRIEF),
      model: 'qwen-vl-test',
      cached: false,
      usage: { promptTokens: 1010, completionTokens: 20, totalTokens: 1030, cachedTokens: 0 },
      image: { id: image.id },
    });
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.requests[0]!.image).toMatchObject({ width: 120, height: 80, sha256: image.sha256 });
    expect(h.fake.requests[0]!.authorization).toBe('Bearer test-key');
    expect(h.fake.requests[0]!.model).toBe('qwen-vl-test');

    const second = await client().request(CaptionImageDocument, { imageId: image.id });
    expect(second.data!.captionImage).toMatchObject({ id: caption.id, text: caption.text, cached: true, usage: caption.usage });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('keys questions by their normalized text: whitespace and Unicode forms share one answer', async () => {
    const image = await uploadNew(client(), { format: 'jpeg', width: 64, height: 64, color: '#aa5500' });
    const a = await client().request(AskQuestionDocument, { imageId: image.id, question: '  What colour   is it?\n' });
    const b = await client().request(AskQuestionDocument, { imageId: image.id, question: 'What colour is it?' });
    expect(a.data!.askQuestion.prompt).toBe('What colour is it?');
    expect(a.data!.askQuestion.cached).toBe(false);
    expect(b.data!.askQuestion).toMatchObject({ id: a.data!.askQuestion.id, cached: true });
    expect(h.fake.requests).toHaveLength(1);
    const c = await client().request(AskQuestionDocument, { imageId: image.id, question: 'what colour is it?' });
    expect(c.data!.askQuestion.cached).toBe(false); // case is kept
    const nfd = await client().request(AskQuestionDocument, { imageId: image.id, question: 'Is it cafe\u0301?' });
    const nfc = await client().request(AskQuestionDocument, { imageId: image.id, question: 'Is it caf\u00e9?' });
    expect(nfc.data!.askQuestion).toMatchObject({ id: nfd.data!.askQuestion.id, cached: true });
  });

  it('refresh: true asks again and replaces the stored answer', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 50, height: 50, color: '#101010' });
    const first = await client().request(AskQuestionDocument, { imageId: image.id, question: 'Again?' });
    const refreshed = await client().request(AskQuestionDocument, { imageId: image.id, question: 'Again?', refresh: true });
    expect(refreshed.data!.askQuestion).toMatchObject({ id: first.data!.askQuestion.id, cached: false });
    expect(Date.parse(refreshed.data!.askQuestion.createdAt)).toBeGreaterThanOrEqual(Date.parse(first.data!.askQuestion.createdAt));
    expect(h.fake.requests).toHaveLength(2);
    const after = await client().request(AskQuestionDocument, { imageId: image.id, question: 'Again?' });
    expect(after.data!.askQuestion.cached).toBe(true);
    expect(h.fake.requests).toHaveLength(2);
  });

  it('validates questions before anything is sent', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 20, height: 20, color: '#202020' });
    for (const question of ['', '   \n\t ', 'x'.repeat(2001), 'a\u0000b']) {
      const response = await client().request(AskQuestionDocument, { imageId: image.id, question });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    }
    const ok = await client().request(AskQuestionDocument, { imageId: image.id, question: 'x'.repeat(2000) });
    expect(ok.errors).toBeUndefined();
    expect(h.fake.requests).toHaveLength(1);
  });

  it('answers NOT_FOUND for an unknown image and null for image(id)', async () => {
    const response = await client().request(CaptionImageDocument, { imageId: 'no-such-image' });
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    const ask = await client().request(AskQuestionDocument, { imageId: 'no-such-image', question: 'hi?' });
    expect(errorCodes(ask)).toEqual(['NOT_FOUND']);
    const query = await client().request(AskOnImageDocument, { id: 'no-such-image', question: 'hi?' });
    expect(query.errors).toBeUndefined();
    expect(query.data!.image).toBeNull();
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('batching (one upstream call per image)', () => {
  const questions = { q1: 'What is in the picture?', q2: 'What colour dominates?', q3: 'Is it day or night?' };

  it('answers a caption and 3 questions about each of 5 images with 5 calls, each image sent once', async () => {
    const colors = ['#ff0000', '#00ff00', '#0000ff', '#ffff00', '#00ffff'];
    // A fresh gateway so images(first: 5) lists exactly these.
    const local = await startHarness();
    try {
      const images = [];
      for (const [i, color] of colors.entries()) images.push(await uploadNew(local.gateway.client, { format: 'png', width: 40 + i, height: 30, color }));
      const response = await local.gateway.client.request(AllImageInsightsDocument, { first: 5, ...questions });
      expect(response.errors).toBeUndefined();
      expect(local.fake.requests).toHaveLength(5);
      for (const request of local.fake.requests) {
        expect(request.packed).toBe(true);
        expect(request.prompts).toHaveLength(4);
      }
      expect(new Set(local.fake.requests.map((r) => r.image!.sha256))).toEqual(new Set(images.map((i) => i.sha256)));

      for (const edge of response.data!.images.edges) {
        const image = images.find((i) => i.id === edge.node.id)!;
        expect(edge.node.caption!.text).toBe(await answerFor(image, CAPTION_PROMPTS.BRIEF));
        expect(edge.node.a1!.answer).toBe(await answerFor(image, questions.q1));
        expect(edge.node.a3!.answer).toBe(await answerFor(image, questions.q3));
        // A packed call's usage (1040 + 80 for 4 prompts) is split so the stored parts sum to it.
        const parts = [edge.node.caption, edge.node.a1, edge.node.a2, edge.node.a3].map((x) => x!.usage);
        expect(parts.reduce((s, u) => s + u.promptTokens, 0)).toBe(1040);
        expect(parts.reduce((s, u) => s + u.completionTokens, 0)).toBe(80);
        expect(parts.reduce((s, u) => s + u.totalTokens, 0)).toBe(1120);
      }

      const again = await local.gateway.client.request(AllImageInsightsDocument, { first: 5, ...questions });
      expect(again.data!.images.edges.every((e) => e.node.caption!.cached && e.node.a1!.cached && e.node.a2!.cached && e.node.a3!.cached)).toBe(true);
      expect(local.fake.requests).toHaveLength(5);
    } finally {
      await local.close();
    }
  });

  it('asks identical (image, normalized prompt) pairs once and only the missing prompts', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 33, height: 33, color: '#445566' });
    await client().request(AskQuestionDocument, { imageId: image.id, question: questions.q1 });
    h.fake.reset();
    const response = await client().request(ImageInsightsDocument, { id: image.id, q1: questions.q1, q2: ` ${questions.q2}`, q3: `${questions.q2}  ` });
    expect(response.errors).toBeUndefined();
    expect(h.fake.requests).toHaveLength(1);
    expect(h.fake.requests[0]!.prompts).toEqual([CAPTION_PROMPTS.BRIEF, questions.q2]);
    const { a1, a2, a3 } = response.data!.image!;
    expect(a1!.cached).toBe(true);
    expect(a2).toMatchObject({ cached: false, id: a3!.id, answer: await answerFor(image, questions.q2) });
  });

  it('splits packed calls at QWEN_MAX_PROMPTS_PER_CALL', async () => {
    const local = await startHarness({ env: { QWEN_MAX_PROMPTS_PER_CALL: '2' } });
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 30, height: 30 });
      const response = await local.gateway.client.request(ImageInsightsDocument, { id: image.id, ...questions });
      expect(response.errors).toBeUndefined();
      expect(local.fake.requests.map((r) => r.prompts.length)).toEqual([2, 2]);
    } finally {
      await local.close();
    }
  });

  it('falls back to one request per prompt when the packed reply breaks the contract, keeping billed usage', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 44, height: 22, color: '#998877' });
    h.fake.inject({ kind: 'content', content: 'Sure! Here are my answers: yes, no.' });
    const response = await client().request(ImageInsightsDocument, { id: image.id, q1: 'One?', q2: 'Two?', q3: 'Three?' });
    expect(response.errors).toBeUndefined();
    expect(h.fake.requests.map((r) => r.packed)).toEqual([true, false, false, false, false]);
    const { caption, a1, a2, a3 } = response.data!.image!;
    expect(a2!.answer).toBe(await answerFor(image, 'Two?'));
    const billed = 1040 + 4 * 1010; // the failed packed call plus four single calls
    expect([caption, a1, a2, a3].reduce((s, x) => s + x!.usage.promptTokens, 0)).toBe(billed);
  });

  it('accepts a packed reply inside a Markdown code fence', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 21, height: 21, color: '#121212' });
    h.fake.inject({ kind: 'content', content: '```json\n{"answers": ["c", "1", "2", "3"]}\n```' });
    const response = await client().request(ImageInsightsDocument, { id: image.id, q1: 'A?', q2: 'B?', q3: 'C?' });
    expect(response.data!.image!.a3!.answer).toBe('3');
    expect(h.fake.requests).toHaveLength(1);
  });

  it('shares one upstream call between concurrent requests for the same key (single flight)', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 70, height: 35, color: '#0a0b0c' });
    h.fake.setDelay(300);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => client().request(AskQuestionDocument, { imageId: image.id, question: 'Same question?' })),
    );
    expect(h.fake.requests).toHaveLength(1);
    expect(new Set(responses.map((r) => r.data!.askQuestion.id)).size).toBe(1);
    expect(responses.filter((r) => !r.data!.askQuestion.cached)).toHaveLength(1);
  });
});

describe('image sent upstream', () => {
  it('sends images within QWEN_MAX_PIXELS at their original size and bytes', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 800, height: 600, color: '#334455' });
    await client().request(AskQuestionDocument, { imageId: image.id, question: 'Size?' });
    expect(h.fake.requests[0]!.image).toMatchObject({ width: 800, height: 600, sha256: sha256(image.bytes), mime: 'image/png' });
  });

  it('downscales larger images keeping the aspect ratio, and keeps the original stored', async () => {
    const image = await uploadNew(client(), { format: 'jpeg', width: 2000, height: 1000, color: '#446688' });
    const response = await client().request(AskQuestionDocument, { imageId: image.id, question: 'Size?' });
    const expected = fitWithin(2000, 1000, 1_003_520);
    expect(expected.width * expected.height).toBeLessThanOrEqual(1_003_520);
    expect(h.fake.requests[0]!.image).toMatchObject({ width: expected.width, height: expected.height, mime: 'image/jpeg' });
    expect(response.data!.askQuestion.answer.startsWith(`${expected.width}x${expected.height} `)).toBe(true);
    const stored = await client().request(AskOnImageDocument, { id: image.id, question: 'Size?' });
    expect(stored.data!.image!.answer!.cached).toBe(true);
    expect(image.sha256).toBe(sha256(image.bytes));
  });

  it('applies EXIF orientation before sending', async () => {
    const image = await uploadNew(client(), { format: 'jpeg', width: 60, height: 30, exifOrientation: 6, color: '#808080' });
    await client().request(AskQuestionDocument, { imageId: image.id, question: 'Upright?' });
    expect(h.fake.requests[0]!.image).toMatchObject({ width: 30, height: 60 });
  });
});

describe('persistence', () => {
  it('serves stored answers after a restart without asking again', async () => {
    const local = await startHarness();
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 25, height: 25, color: '#abcabc' });
      const before = await local.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Persist?' });
      local.fake.reset();
      await restartGateway(local);
      const after = await local.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Persist?' });
      expect(after.data!.askQuestion).toMatchObject({ id: before.data!.askQuestion.id, answer: before.data!.askQuestion.answer, cached: true });
      expect(local.fake.requests).toHaveLength(0);
    } finally {
      await local.close();
    }
  });

  it('keys the cache by model: another QWEN_MODEL asks again', async () => {
    const local = await startHarness();
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 26, height: 26 });
      await local.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Model?' });
      await restartGateway(local, { QWEN_MODEL: 'qwen-vl-other' });
      const other = await local.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'Model?' });
      expect(other.data!.askQuestion).toMatchObject({ model: 'qwen-vl-other', cached: false });
      expect(local.fake.requests).toHaveLength(2);
    } finally {
      await local.close();
    }
  });
});

describe('upstream concurrency', () => {
  it('keeps at most QWEN_MAX_CONCURRENCY requests in flight', async () => {
    const local = await startHarness({ env: { QWEN_MAX_CONCURRENCY: '2' } });
    try {
      for (let i = 0; i < 5; i++) await uploadNew(local.gateway.client, { format: 'png', width: 20 + i, height: 20 });
      // The first calls stay in flight until both are there: the bound is reached, whatever the machine's speed.
      local.fake.holdReplies();
      const responding = local.gateway.client.request(AllImageInsightsDocument, { first: 5, q1: 'a?', q2: 'b?', q3: 'c?' });
      await expect.poll(() => local.fake.requests.length, { timeout: 20_000 }).toBe(2);
      local.fake.releaseReplies();
      const response = await responding;
      expect(response.errors).toBeUndefined();
      expect(local.fake.requests).toHaveLength(5);
      expect(local.fake.stats.maxInFlight).toBe(2);
    } finally {
      await local.close();
    }
  });
});

describe('a client that goes away', () => {
  it('stops the upstream call made only for it', async () => {
    const image = await uploadNew(client(), { format: 'png', width: 44, height: 33 });
    h.fake.setDefaultFault({ kind: 'hang' });
    try {
      const controller = new AbortController();
      const asking = fetch(h.gateway.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation($id: ID!) { askQuestion(imageId: $id, question: "Anyone there?") { answer } }', variables: { id: image.id } }),
        signal: controller.signal,
      }).catch(() => 'aborted');
      await expect.poll(() => h.fake.requests.length, { timeout: 20_000 }).toBe(1);
      controller.abort();
      expect(await asking).toBe('aborted');
      // Left running, the call would hang until QWEN_TIMEOUT_MS (60 s); the deadline here is a backstop below that.
      await expect.poll(() => h.fake.requests[0]!.abandoned, { timeout: 20_000 }).toBe(true);
    } finally {
      h.fake.setDefaultFault(null);
    }
  });
});
