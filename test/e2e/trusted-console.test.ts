import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/gateway.js';
import { chromiumMissing, launchChromium, makePhoto } from './browser.js';
import { WatchedPage } from './watched-page.js';

// Issue 27, point 1: the web console under PERSISTED_DOCUMENTS_ONLY. The gateway refuses every
// document sent as text; the console keeps working because it sends its operations by the hash of
// its own manifest, which its build ships and the gateway trusts: queries, an upload (multipart)
// and an answer streamed over graphql-ws.

let h: Harness;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
/** The JSON bodies the console POSTed to /graphql. */
const posted: Array<Record<string, unknown>> = [];

describe.skipIf(chromiumMissing)('the web console with trusted documents only', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    browser = await launchChromium();
    h = await startHarness({ env: { PERSISTED_DOCUMENTS_ONLY: 'true' } });
    watched = await WatchedPage.open(browser);
    page = watched.page;
    page.on('request', (request) => {
      if (request.method() !== 'POST' || !request.url().endsWith('/graphql')) return;
      if ((request.headers()['content-type'] ?? '').startsWith('application/json')) posted.push(JSON.parse(request.postData() ?? '{}') as Record<string, unknown>);
    });
  }, 60_000);

  afterEach(() => watched.checkErrors());

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('uploads a photo, shows its caption and streams an answer, sending operations by hash alone', async () => {
    const origin = `http://127.0.0.1:${h.gateway.server.port}`;
    await page.goto(`${origin}/`);
    await page.getByRole('heading', { level: 1, name: 'Images' }).waitFor();
    const photo = await makePhoto({ width: 640, height: 480, tint: [120, 190, 80], seed: 7 });
    await page.locator('#file-input').setInputFiles({ name: 'field.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.getByRole('link', { name: 'uploaded' }).waitFor();

    const tile = page.locator('.grid a.tile', { hasText: '640×480' });
    await tile.waitFor();
    await tile.click();
    const brief = page.getByTestId('caption-BRIEF');
    await brief.waitFor();
    expect(await brief.textContent()).toMatch(/^640x480 #[0-9a-f]{6} :: /);

    await page.getByLabel('Question about this image').fill('What grows here?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const answer = page.getByRole('list', { name: 'Answers' }).locator('li').first();
    await answer.locator('.badge').waitFor();
    expect(await answer.locator('.answer').textContent()).toMatch(/^640x480 #[0-9a-f]{6} :: What grows here\?$/);

    // What the gateway refused would have failed the page; what it ran came by hash.
    expect(posted.length).toBeGreaterThan(0);
    for (const body of posted) {
      expect(body).not.toHaveProperty('query');
      expect(body).toHaveProperty('extensions.persistedQuery.sha256Hash', expect.stringMatching(/^sha256:[0-9a-f]{64}$/));
    }
  });
});
