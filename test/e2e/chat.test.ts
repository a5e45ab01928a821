import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectedImagesAnswer, type RecordedImage, type RecordedRequest } from '../fake-qwen/index.js';
import { ConversationDocument, MessageStreamDocument, StartConversationDocument, UploadImageDocument } from '../generated/graphql.js';
import { wsClient } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { openSubscription } from '../support/subscriptions.js';
import { chromiumMissing, launchChromium, makePhoto } from './browser.js';
import { WatchedPage } from './watched-page.js';

// Streaming in the web console, in real Chromium against a real gateway and the
// fake model endpoint: an answer written into the image page as it arrives, a
// chat in the image page's panel, and the Conversations pages. The tests run in
// order and build on each other. The fake's holdStreams() pauses a streamed
// reply after its first words, so a test sees the page mid-stream.

const QUESTION = 'What is in the picture?';
const TURNS = ['What do you see?', 'Which colour dominates?', 'Describe it in one word.'];

let h: Harness;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let origin: string;
const images: Record<'field' | 'sunset', string> = { field: '', sunset: '' };
/** The conversation started in the image page's panel, and the one started over the API. */
const conversations = { panel: '', titled: '' };

/** The first piece the fake streams of a reply: its first word with the space after it. */
const firstPiece = (text: string) => /^\S+\s*/.exec(text)![0];
/** What the fake replies to `prompt` about the images it saw. */
const replyTo = (seen: readonly RecordedImage[], prompt: string) => expectedImagesAnswer(seen, prompt);
const isFocused = (target: Locator) => target.evaluate((element: { ownerDocument: { activeElement: unknown } }) => element.ownerDocument.activeElement === element);
/** The messages of a chat as shown: "role: text", oldest first. */
const shownMessages = async (chat: Locator) =>
  Promise.all((await chat.locator('ol.messages > li').all()).map(async (li) => `${await li.locator('.who').textContent()}: ${await li.locator('.text').textContent()}`));
/** Replies that are stored and shown as fetched (not the one streaming in). */
const storedReplies = (chat: Locator) => chat.locator('li.message.assistant').filter({ hasNot: page.getByTestId('streamed-reply') });

describe.skipIf(chromiumMissing)('streaming answers and chat in the web console', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    browser = await launchChromium();
    h = await startHarness();
    origin = `http://127.0.0.1:${h.gateway.server.port}`;
    watched = await WatchedPage.open(browser);
    page = watched.page;
    const upload = async (bytes: Buffer) => {
      const response = await h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'photo.jpg', bytes, type: 'image/jpeg' } }]);
      expect(response.errors).toBeUndefined();
      return response.data!.uploadImage.id;
    };
    images.field = await upload(await makePhoto({ width: 640, height: 480, tint: [120, 190, 80], seed: 2 }));
    images.sunset = await upload(await makePhoto({ width: 480, height: 640, tint: [230, 120, 60], seed: 3 }));
  }, 60_000);

  afterEach(() => {
    h.fake.releaseStreams(); // a failed test must not leave the endpoint holding
    watched.checkErrors();
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('streams an answer into the image page: its first words while the endpoint holds the rest, then the stored answer with its meta', async () => {
    await page.goto(`${origin}/#/images/${images.field}`);
    await page.getByTestId('caption-BRIEF').waitFor();
    const before = h.fake.requests.length;
    h.fake.holdStreams();
    await page.getByLabel('Question about this image').fill(QUESTION);
    await page.getByRole('button', { name: 'Ask' }).click();

    const item = page.getByRole('list', { name: 'Answers' }).locator('li').first();
    const answer = item.locator('.answer');
    await answer.filter({ hasText: /\S/ }).waitFor();
    expect(h.fake.requests).toHaveLength(before + 1);
    const upstream = h.fake.requests.at(-1)!;
    expect(upstream.stream).toBe(true);
    const whole = replyTo(upstream.images, QUESTION);
    // Mid-stream: the endpoint has sent one piece and not finished; the page shows exactly that piece, busy.
    expect(await answer.textContent()).toBe(firstPiece(whole));
    expect(upstream.finished).toBe(false);
    expect(await answer.getAttribute('aria-live')).toBe('polite');
    expect(await answer.getAttribute('aria-busy')).toBe('true');
    expect(await item.locator('.meta').textContent()).toBe('Writing…');
    expect(await page.getByRole('button', { name: 'Asking…' }).isDisabled()).toBe(true);

    h.fake.releaseStreams();
    await item.locator('.badge').waitFor();
    expect(await answer.textContent()).toBe(whole);
    expect(await answer.getAttribute('aria-busy')).toBe('false');
    expect(await item.locator('.badge').textContent()).toBe('new');
    expect(await item.locator('.meta').textContent()).toMatch(/[1-9]\d* tokens \(\d+ in, \d+ out\) · \d+ ms · qwen-vl-test/);
    expect(upstream.finished).toBe(true);
  });

  it('"Refresh answer" streams a new answer from the model; asking again is one cached chunk with no upstream call', async () => {
    const answers = page.getByRole('list', { name: 'Answers' });
    const before = h.fake.requests.length;
    h.fake.holdStreams();
    await answers.getByRole('button', { name: 'Refresh answer' }).click();
    const item = answers.locator('li').first();
    await item.locator('.answer[aria-busy=true]').filter({ hasText: /\S/ }).waitFor();
    expect(h.fake.requests).toHaveLength(before + 1);
    expect(h.fake.requests.at(-1)!.stream).toBe(true);
    h.fake.releaseStreams();
    await item.locator('.badge', { hasText: 'new' }).waitFor();
    expect(await answers.locator('li').count()).toBe(1);

    await page.getByRole('button', { name: 'Ask' }).click();
    await item.locator('.badge', { hasText: 'cached' }).waitFor();
    expect(await item.locator('.answer').textContent()).toBe(replyTo(h.fake.requests.at(-1)!.images, QUESTION));
    expect(await item.locator('.meta').textContent()).toMatch(/no tokens spent now \(it cost [1-9]\d* tokens/);
    expect(h.fake.requests).toHaveLength(before + 1);
    expect(await answers.locator('li').count()).toBe(1);
  });

  it('shows an answer that failed with its code and "Try again", which streams it; a later visit lists it, newest first', async () => {
    const answers = page.getByRole('list', { name: 'Answers' });
    h.fake.inject({ kind: 'status', status: 503 });
    await page.getByLabel('Question about this image').fill('Is it raining?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const item = answers.locator('li').first();
    const alert = item.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^No answer\. MODEL_UNAVAILABLE /);
    expect(await item.locator('.prompt').textContent()).toBe('Is it raining?');
    expect(await item.locator('.answer').textContent()).toBe('');
    // Above the answer it did not replace (the error's own list is inside it).
    expect(await answers.locator(':scope > li').count()).toBe(2);

    await item.getByRole('button', { name: 'Try again' }).click();
    await item.locator('.badge', { hasText: 'new' }).waitFor();
    expect(await item.locator('.answer').textContent()).toBe(replyTo(h.fake.requests.at(-1)!.images, 'Is it raining?'));
    expect(await alert.count()).toBe(0);

    // Away and back: the image's stored answers are read from the cache, which took in the streamed one.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Images' }).click();
    await page.getByRole('heading', { level: 1, name: 'Images' }).waitFor();
    await page.goBack();
    await answers.locator(':scope > li').nth(1).waitFor();
    expect(await answers.locator('.prompt').allTextContents()).toEqual(['Is it raining?', QUESTION]);
  });

  it('chats about the image in its panel: three turns streamed in, every request carrying the image once, in the first user turn', async () => {
    const panel = page.getByRole('region', { name: 'Chat', exact: true });
    await panel.getByRole('button', { name: 'Chat about this image' }).click();
    const box = panel.getByLabel('Message', { exact: true });
    await box.waitFor();
    expect(await isFocused(box)).toBe(true);
    conversations.panel = (await panel.getByRole('link', { name: 'Conversations' }).getAttribute('href'))!.split('/').pop()!;

    const before = h.fake.requests.length;
    for (const [turn, text] of TURNS.entries()) {
      if (turn === 0) h.fake.holdStreams();
      await box.fill(text);
      await box.press('Enter');
      if (turn === 0) {
        // Held after its first words: the reply is seen arriving, and no second message can be sent meanwhile.
        const streamed = panel.getByTestId('streamed-reply');
        await streamed.filter({ hasText: /\S/ }).waitFor();
        expect(await streamed.textContent()).toBe(firstPiece(replyTo(h.fake.requests.at(-1)!.images, text)));
        expect(await streamed.getAttribute('aria-busy')).toBe('true');
        expect(await box.isDisabled()).toBe(true);
        expect(await panel.getByRole('button', { name: 'Writing…' }).isDisabled()).toBe(true);
        h.fake.releaseStreams();
      }
      await storedReplies(panel).nth(turn).waitFor();
    }

    const requests: RecordedRequest[] = h.fake.requests.slice(before);
    expect(requests).toHaveLength(3);
    const seen = requests[0]!.images;
    expect(seen).toHaveLength(1);
    const replies = TURNS.map((text) => replyTo(seen, text));
    expect(await shownMessages(panel)).toEqual(TURNS.flatMap((text, i) => [`You: ${text}`, `Model: ${replies[i]}`]));
    expect(await storedReplies(panel).last().locator('.meta').textContent()).toMatch(/[1-9]\d* tokens \(\d+ in, \d+ out\) · \d+ ms · qwen-vl-test/);
    for (const [turn, request] of requests.entries()) {
      expect(request.stream).toBe(true);
      const dialogue = request.messages.filter((m) => m.role !== 'system');
      // Every earlier turn, then the new message; the image once, in the first user message.
      expect(dialogue.map((m) => [m.role, m.text])).toEqual(
        TURNS.slice(0, turn + 1).flatMap((text, i) => (i < turn ? [['user', text], ['assistant', replies[i]]] : [['user', text]])),
      );
      expect(dialogue.map((m) => m.images)).toEqual(dialogue.map((_, i) => (i === 0 ? 1 : 0)));
      expect(request.images).toHaveLength(1);
    }
    // The box was disabled while each reply streamed; focus is back in it for the next message.
    expect(await isFocused(box)).toBe(true);
    await watched.screenshot('console-chat', { element: panel });
  });

  it('lists conversations newest first, pages by cursor, and opens one: its images as thumbnails, its messages oldest first', async () => {
    // 20 more, over the API: the panel's conversation is now the 22nd newest, on the second page.
    for (let i = 1; i <= 19; i++) {
      const filler = await h.gateway.client.request(StartConversationDocument, { imageIds: [images.sunset], title: `Filler ${i}` });
      expect(filler.errors).toBeUndefined();
    }
    const titled = await h.gateway.client.request(StartConversationDocument, { imageIds: [images.field, images.sunset], title: 'Field and sunset' });
    conversations.titled = titled.data!.startConversation.id;

    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('heading', { level: 1, name: 'Conversations' }).waitFor();
    const rows = page.getByRole('list', { name: 'Conversations' }).locator('li');
    await rows.nth(19).waitFor();
    expect(await rows.count()).toBe(20);
    expect(await rows.first().getByRole('link').textContent()).toBe('Field and sunset');
    expect(await rows.first().locator('img').count()).toBe(2);
    expect(await rows.nth(1).getByRole('link').textContent()).toBe('Filler 19');
    expect(await rows.first().locator('img').first().evaluate((img: { decode(): Promise<void>; naturalWidth: number }) => img.decode().then(() => img.naturalWidth > 0))).toBe(true);

    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(20).waitFor();
    expect(await rows.count()).toBe(21);
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    // Untitled, it is named by its first message.
    const panelRow = rows.nth(20);
    expect(await panelRow.getByRole('link').textContent()).toBe(TURNS[0]);
    expect(await panelRow.textContent()).toMatch(/1 image · started .* · [1-9]\d* tokens/);

    await panelRow.getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: TURNS[0] }).waitFor();
    const chat = page.locator('.chat');
    await storedReplies(chat).nth(2).waitFor();
    const seen = h.fake.requests.find((r) => r.messages.some((m) => m.text === TURNS[0] && m.images === 1))!.images;
    expect(await shownMessages(chat)).toEqual(TURNS.flatMap((text) => [`You: ${text}`, `Model: ${replyTo(seen, text)}`]));
    const thumbnail = page.getByRole('list', { name: 'Images' }).getByRole('link');
    expect(await thumbnail.getAttribute('href')).toBe(`#/images/${images.field}`);
    expect(await thumbnail.locator('img').evaluate((img: { decode(): Promise<void>; naturalWidth: number }) => img.decode().then(() => img.naturalWidth > 0))).toBe(true);
    expect(await page.locator('.conversation-head .meta').textContent()).toMatch(/[1-9]\d* tokens so far/);
    await watched.screenshot('console-conversation');
  });

  it('shows CONFLICT while another client writes a reply in the same conversation, and keeps the text to send again', async () => {
    await page.goto(`${origin}/#/conversations/${conversations.titled}`);
    await page.getByRole('heading', { level: 1, name: 'Field and sunset' }).waitFor();
    await page.getByText('No messages yet').waitFor();
    const socket = wsClient(h.gateway.server.url, {}, { lazy: false });
    try {
      h.fake.holdStreams();
      const other = openSubscription(socket, MessageStreamDocument, { conversationId: conversations.titled, text: 'Which photo is brighter?' });
      expect((await other.next()).data?.messageStream.delta).toMatch(/\S/);

      const box = page.getByLabel('Message', { exact: true });
      await box.fill('What do the photos share?');
      await box.press('Enter');
      const alert = page.getByRole('alert').filter({ hasText: 'CONFLICT' });
      await alert.waitFor();
      expect(await alert.textContent()).toContain('No reply.');
      expect(await box.inputValue()).toBe('What do the photos share?');
      expect(await box.isDisabled()).toBe(false);

      h.fake.releaseStreams();
      const rest = await other.rest();
      expect(rest.at(-1)?.data?.messageStream.message?.role).toBe('ASSISTANT');
      // Sent again once the other reply is in: both turns are listed, in the order they were stored.
      await box.press('Enter');
      const chat = page.locator('.chat');
      await storedReplies(chat).nth(1).waitFor();
      const seen = h.fake.requests.at(-1)!.images;
      expect(seen).toHaveLength(2);
      expect(await shownMessages(chat)).toEqual([
        'You: Which photo is brighter?',
        `Model: ${replyTo(seen, 'Which photo is brighter?')}`,
        'You: What do the photos share?',
        `Model: ${replyTo(seen, 'What do the photos share?')}`,
      ]);
      expect(await alert.count()).toBe(0);
    } finally {
      await socket.dispose();
    }
  });

  it('deletes a conversation from its page and one from the list, after an inline confirmation', async () => {
    await page.getByRole('button', { name: 'Delete this conversation' }).click();
    // Focus moves to the confirmation; "Keep" puts it back.
    const confirm = page.getByRole('group', { name: 'Delete this conversation?' }).getByRole('button', { name: 'Delete', exact: true });
    expect(await isFocused(confirm)).toBe(true);
    await confirm.click();
    await page.waitForURL(`${origin}/#/conversations`);
    // The list shows what the cache holds while it asks the gateway: delete once the answer is in.
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.and(page.locator('[aria-busy=false]')).waitFor();
    const rows = list.locator('li');
    expect(await rows.count()).toBe(20);
    expect(await rows.first().getByRole('link').textContent()).toBe('Filler 19');
    expect(await rows.getByRole('link', { name: 'Field and sunset' }).count()).toBe(0);

    const panelRow = rows.filter({ has: page.getByRole('link', { name: TURNS[0], exact: true }) });
    const ask = panelRow.getByRole('button', { name: `Delete “${TURNS[0]}”` });
    await ask.click();
    await panelRow.getByRole('button', { name: 'Keep' }).click();
    expect(await isFocused(ask)).toBe(true);
    await ask.click();
    await panelRow.getByRole('button', { name: 'Delete', exact: true }).click();
    await panelRow.waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(19);

    for (const id of [conversations.titled, conversations.panel]) {
      const read = await h.gateway.client.request(ConversationDocument, { id, first: 1 });
      expect(read.errors).toBeUndefined();
      expect(read.data!.conversation).toBeNull();
    }
  });

  it('sent no request anywhere but the gateway on 127.0.0.1, and streamed over its WebSocket', () => {
    expect(watched.foreignRequests(origin)).toEqual([]);
    expect(watched.requested.some((url) => url.startsWith(`ws://127.0.0.1:${h.gateway.server.port}/`))).toBe(true);
  });
});
