import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AnswerStreamEndingDocument,
  AskAboutImagesEndingDocument,
  CaptionEndingDocument,
  SendMessageEndingDocument,
  StartConversationDocument,
  StoredCaptionEndingsDocument,
} from '../generated/graphql.js';
import { collect, wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';

// Replies cut by max_tokens (issue 23, point 2). The fake writes each answer
// in REPLY_TOKENS tokens and, like DashScope, cuts a reply asked with fewer
// (finish_reason "length", completion_tokens = max_tokens). The gateway asks
// for TOKEN_RESERVE_PER_ANSWER (512) first; the model's cap is 800.

const REPLY_TOKENS = 700;
const maxTokensAsked = (h: Harness) => h.fake.requests.map((r) => (r.body as { max_tokens?: number }).max_tokens);

describe('a reply cut by the token limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ fake: { replyTokens: REPLY_TOKENS }, env: { QWEN_MAX_OUTPUT_TOKENS: '800' } });
  });
  afterAll(() => h.close());
  afterEach(() => h.fake.reset());
  const client = () => h.gateway.client;
  let shade = 0;
  const newImage = () => uploadNew(client(), { format: 'png', width: 40, height: 30, color: `#${(0x406080 + ++shade * 7919).toString(16).slice(-6)}` });

  it('is stored as LENGTH, never served as a cache hit, and asked again with more room (within the cap), which replaces it', async () => {
    const image = await newImage();
    const cut = await client().request(CaptionEndingDocument, { imageId: image.id });
    expect(cut.errors).toBeUndefined();
    expect(cut.data!.captionImage).toMatchObject({ finishReason: 'LENGTH', cached: false, usage: { completionTokens: 512 } });
    expect(maxTokensAsked(h)).toEqual([512]);

    const whole = await client().request(CaptionEndingDocument, { imageId: image.id });
    expect(whole.data!.captionImage).toMatchObject({ id: cut.data!.captionImage.id, finishReason: 'STOP', cached: false, usage: { completionTokens: REPLY_TOKENS } });
    // The cut text was the beginning of the whole one: kept, not made up.
    expect(whole.data!.captionImage.text.startsWith(cut.data!.captionImage.text)).toBe(true);
    expect(whole.data!.captionImage.text.length).toBeGreaterThan(cut.data!.captionImage.text.length);
    // Twice the room, but no more than the model's output cap.
    expect(maxTokensAsked(h)).toEqual([512, 800]);

    const again = await client().request(CaptionEndingDocument, { imageId: image.id });
    expect(again.data!.captionImage).toMatchObject({ finishReason: 'STOP', cached: true });
    expect(h.fake.requests).toHaveLength(2);

    const stored = await client().request(StoredCaptionEndingsDocument, {});
    const mine = stored.data!.captions.edges.filter((edge) => edge.node.id === cut.data!.captionImage.id);
    expect(mine.map((edge) => edge.node.finishReason)).toEqual(['STOP']);
  });

  it('is reported on a question about several images, and asked again rather than served', async () => {
    const images = [await newImage(), await newImage()];
    const ask = () => client().request(AskAboutImagesEndingDocument, { imageIds: images.map((image) => image.id), question: 'Which is darker?' });
    expect((await ask()).data!.askAboutImages).toMatchObject({ finishReason: 'LENGTH', cached: false });
    expect((await ask()).data!.askAboutImages).toMatchObject({ finishReason: 'STOP', cached: false });
    expect((await ask()).data!.askAboutImages).toMatchObject({ finishReason: 'STOP', cached: true });
    expect(maxTokensAsked(h)).toEqual([512, 800]);
  });

  it('is reported on a conversation turn and at the end of an answer stream', async () => {
    const image = await newImage();
    const started = await client().request(StartConversationDocument, { imageIds: [image.id] });
    const turn = await client().request(SendMessageEndingDocument, { conversationId: started.data!.startConversation.id, text: 'Describe it at length.' });
    expect(turn.errors).toBeUndefined();
    expect(turn.data!.sendMessage.finishReason).toBe('LENGTH');

    const socket = wsClient(h.gateway.server.url);
    try {
      const events = await collect(socket, AnswerStreamEndingDocument, { imageId: image.id, question: 'What is in it?' });
      const last = events.at(-1)!.data!.answerStream.answer!;
      expect(last).toMatchObject({ finishReason: 'LENGTH', cached: false });
      expect(h.fake.requests.every((r) => r.finished)).toBe(true);
    } finally {
      await socket.dispose();
    }
  });
});
