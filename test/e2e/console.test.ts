import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QUESTION_COLUMNS } from '../../src/modules/exports/export-columns.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { chromiumMissing, launchChromium, makePhoto } from './browser.js';
import { WatchedPage } from './watched-page.js';

// The web console and GraphiQL, driven in real Chromium against a real gateway
// and the fake model endpoint. One browser for the file; the tests run in
// order and build on each other (upload, then ask, then a job, then analytics).
// Every test also checks that the page logged no error; the last one checks
// that no request left 127.0.0.1. SCREENSHOTS=1 refreshes the docs' PNGs.

// The page.evaluate callbacks below run in Chromium. The project's type library is Node's (no DOM,
// on purpose), so the few browser objects they touch are declared here, in this module only.
declare const document: { querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null; body: object };
declare const window: Record<string, unknown>;
declare const sessionStorage: Record<string, string>;
declare class DataTransfer {
  items: { add(file: File): void };
}
declare class DragEvent {
  constructor(type: string, init: { dataTransfer: DataTransfer; bubbles: boolean; cancelable: boolean });
}
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: object, options: { subtree: boolean; childList: boolean; characterData: boolean }): void;
}

let h: Harness;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let origin: string;

const shot = (name: string, fullPage = false) => watched.screenshot(name, { fullPage });

/** Image ids in the grid, newest first, read from the page's own links. */
const gridIds = async () => Promise.all((await page.locator('.grid a.tile').all()).map(async (link) => (await link.getAttribute('href'))!.split('/').pop()!));

describe.skipIf(chromiumMissing)('the web console in Chromium', { timeout: 120_000 }, () => {
  const photos: Record<string, Buffer> = {};

  beforeAll(async () => {
    // First: a Chromium that cannot start fails the file before anything else is set up.
    browser = await launchChromium();
    h = await startHarness({ env: { EXPLORER: 'true' } });
    origin = `http://127.0.0.1:${h.gateway.server.port}`;
    watched = await WatchedPage.open(browser);
    page = watched.page;
    // Intercept file choosers from the start. Playwright turns interception on without waiting for
    // the browser when something first listens, so a listener added just before the key press can
    // lose that race on a busy machine and the chooser opens unseen (puppeteer#6040 describes it).
    page.on('filechooser', () => {});
    // 800×600 stored, EXIF orientation 6: it displays (and the model sees it) as 600×800.
    photos.street = await makePhoto({ width: 800, height: 600, orientation: 6, tint: [90, 140, 200], seed: 1 });
    photos.field = await makePhoto({ width: 640, height: 480, tint: [120, 190, 80], seed: 2 });
    photos.sunset = await makePhoto({ width: 480, height: 640, tint: [230, 120, 60], seed: 3 });
  }, 60_000);

  afterEach(() => watched.checkErrors());

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('uploads a real photo with the file picker and shows its BRIEF caption, then its ALT_TEXT as the alt', async () => {
    await page.goto(`${origin}/`);
    await expect(page.getByRole('heading', { level: 1, name: 'Images' }).isVisible()).resolves.toBe(true);
    // From the keyboard: the file picker takes focus, and Space opens it.
    const picker = page.locator('#file-input');
    await picker.focus();
    const chooser = page.waitForEvent('filechooser');
    await page.keyboard.press('Space');
    await (await chooser).setFiles({ name: 'street.jpg', mimeType: 'image/jpeg', buffer: photos.street! });
    await page.getByRole('link', { name: 'uploaded' }).waitFor();
    // The grid shows it with its displayed (EXIF-rotated) size.
    const tile = page.locator('.grid a.tile', { hasText: '600×800' });
    await tile.waitFor();
    await expect(tile.locator('img').evaluate((img: { decode(): Promise<void>; naturalWidth: number }) => img.decode().then(() => img.naturalWidth > 0))).resolves.toBe(true);

    await tile.click();
    // BRIEF is asked for on open; the fake model answers "<width>x<height> <mean colour> :: <prompt>".
    const brief = page.getByTestId('caption-BRIEF');
    await brief.waitFor();
    expect(await brief.textContent()).toMatch(/^600x800 #[0-9a-f]{6} :: /);
    expect(await page.getByTestId('picture').getAttribute('alt')).toBe('');

    await page.getByRole('button', { name: 'Caption: Alt text' }).click();
    const altText = (await page.getByTestId('caption-ALT_TEXT').textContent())!;
    expect(altText).toMatch(/^600x800 /);
    await page.waitForFunction((text) => document.querySelector('[data-testid=picture]')?.getAttribute('alt') === text, altText);
  });

  it('uploads several files by drag and drop, and shows the code of the one that is not an image', async () => {
    await page.goto(`${origin}/#/images`);
    await page.locator('.grid a.tile').first().waitFor();
    const files = [
      { name: 'field.jpg', type: 'image/jpeg', base64: photos.field!.toString('base64') },
      { name: 'notes.jpg', type: 'image/jpeg', base64: Buffer.from('meeting notes, not a picture\n').toString('base64') },
      { name: 'sunset.jpg', type: 'image/jpeg', base64: photos.sunset!.toString('base64') },
    ];
    // The gateway answers the text file with 415; Chromium logs every failed resource.
    watched.expectErrors(/Failed to load resource: the server responded with a status of 415/);
    await page.getByTestId('dropzone').evaluate((zone, list) => {
      const transfer = new DataTransfer();
      for (const f of list) transfer.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, files);

    const results = page.getByRole('list', { name: 'Upload results' });
    await results.getByRole('link', { name: 'uploaded' }).nth(1).waitFor();
    const bad = results.locator('li', { hasText: 'notes.jpg' });
    await bad.getByText('UNSUPPORTED_MEDIA_TYPE').waitFor();
    expect(await bad.getAttribute('class')).toBe('failed');
    await page.locator('.grid a.tile').nth(2).waitFor();
    expect(await gridIds()).toHaveLength(3);
    // The photo captioned ALT_TEXT in the first test carries it as its alt here too.
    expect(await page.locator('.grid a.tile', { hasText: '600×800' }).locator('img').getAttribute('alt')).toMatch(/^600x800 /);
    await shot('console-images');
  });

  it('asks a question and lists the streamed answer with cached and token usage; asking again is served from the cache', async () => {
    const street = (await page.locator('.grid a.tile', { hasText: '600×800' }).getAttribute('href'))!;
    await page.goto(`${origin}/${street}`);
    await page.getByTestId('caption-BRIEF').waitFor();
    await page.getByLabel('Question about this image').fill('What is in the picture?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const answers = page.getByRole('list', { name: 'Answers' });
    const first = answers.locator('li').first();
    // The text streams in; the badge comes with the stored answer, at the end.
    await first.locator('.badge').waitFor();
    expect(await first.locator('.prompt').textContent()).toBe('What is in the picture?');
    expect(await first.locator('.answer').textContent()).toMatch(/^600x800 #[0-9a-f]{6} :: What is in the picture\?$/);
    expect(await first.locator('.badge').textContent()).toBe('new');
    expect(await first.locator('.meta').textContent()).toMatch(/[1-9]\d* tokens \(\d+ in, \d+ out\)/);

    await page.getByRole('button', { name: 'Ask' }).click();
    await first.locator('.badge', { hasText: 'cached' }).waitFor();
    expect(await first.locator('.meta').textContent()).toMatch(/no tokens spent now \(it cost [1-9]\d* tokens/);
    expect(await answers.locator('li').count()).toBe(1);
    await shot('console-image', true);
  });

  it('submits a 3-image job and follows it over graphql-ws to 100 % and its results', async () => {
    // Nothing is answered until the page shows the job: it sees the bar move, however slow the machine.
    h.fake.holdReplies();
    try {
      await page.goto(`${origin}/#/jobs`);
      await page.locator('.pick-grid input[type=checkbox]').nth(2).waitFor();
      await page.getByRole('button', { name: 'Select all shown' }).click();
      await page.getByLabel('DETAILED').check();
      await page.getByLabel('Questions (one per line)').fill('How many people are there?');
      // Record every progress value the page shows, to see that it moved live.
      await page.evaluate(() => {
        const seen: string[] = [];
        window.seenProgress = seen;
        new MutationObserver(() => {
          const text = document.querySelector('[data-testid=job-percent]')?.textContent;
          if (text && seen.at(-1) !== text) seen.push(text);
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await page.getByRole('button', { name: 'Submit job (9 items)' }).click();
      await page.getByTestId('job-percent').waitFor();
      h.fake.releaseReplies();
      await page.getByTestId('job-status').filter({ hasText: 'SUCCEEDED' }).waitFor();
      expect(await page.getByTestId('job-percent').textContent()).toBe('100 %');
      expect(await page.locator('.job progress').evaluate((bar: { value: number }) => bar.value)).toBe(100);
      const seen = (await page.evaluate(() => window.seenProgress)) as string[];
      expect(seen.at(-1)).toBe('100 %');
      expect(seen.length, `progress seen: ${seen.join(', ')}`).toBeGreaterThan(1);

      const rows = page.locator('table.results tbody tr');
      expect(await rows.count()).toBe(9);
      expect(await rows.filter({ hasText: 'SUCCEEDED' }).count()).toBe(9);
      expect(await rows.filter({ hasText: 'How many people are there?' }).first().textContent()).toMatch(/:: How many people are there\?/);
      // The finished job cannot be cancelled any more.
      expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
      await shot('console-jobs', true);
    } finally {
      h.fake.releaseReplies();
    }
  });

  it('lists stored answers on the Answers page, pages through them, filters, and downloads what is shown as CSV', async () => {
    // More answers than a page: six questions about one image, over the API.
    const [streetId] = (await h.gateway.client.request<{ images: { edges: Array<{ node: { id: string; height: number } }> } }>('{ images(first: 3) { edges { node { id height } } } }')).data!.images.edges
      .filter((e) => e.node.height === 800)
      .map((e) => e.node.id);
    for (const question of ['Is it day?', 'Is it night?', 'Any cars?', 'Any trees?', 'What colour dominates?', '=HYPERLINK("http://example.test","x")']) {
      const asked = await h.gateway.client.request('mutation($id: ID!, $q: String!) { askQuestion(imageId: $id, question: $q) { id } }', { id: streetId, q: question });
      expect(asked.errors).toBeUndefined();
    }
    // 1 from the image page + 3 from the job + 6 just now.
    await page.goto(`${origin}/#/answers`);
    await page.getByLabel('Rows per page').selectOption('5');
    const count = page.getByTestId('row-count');
    await page.waitForFunction(() => document.querySelector('[data-testid=row-count]')?.textContent === '5');
    expect(await page.locator('table.rows tbody tr').count()).toBe(5);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=row-count]')?.textContent === '10');
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
    expect(await count.textContent()).toBe('10');
    await shot('console-answers');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV (10 rows)' }).click();
    const csv = await readFile((await (await download).path())!, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    // The columns of the server's export of the same list (export-columns.ts).
    expect(lines[0]).toBe(QUESTION_COLUMNS.join(','));
    expect(lines).toHaveLength(11);
    // A cell a spreadsheet would run as a formula is defused with a leading apostrophe.
    expect(csv).toContain(`,"'=HYPERLINK(""http://example.test"",""x"")",`);

    // The whole list, not just the rows shown, through the server's export: a signed link the browser downloads.
    expect(await page.getByTestId('total-count').textContent()).toBe('10');
    const exported = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export all as JSON Lines' }).click();
    const file = await exported;
    expect(file.suggestedFilename()).toMatch(/^questions-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const exportedRows = (await readFile((await file.path())!, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as { question?: string; prompt?: string });
    expect(exportedRows).toHaveLength(10);
    expect(JSON.stringify(exportedRows)).toContain('=HYPERLINK');

    await page.getByLabel('Question contains').fill('Any');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=row-count]')?.textContent === '2');
    expect(await page.locator('table.rows tbody tr').allTextContents()).toEqual([expect.stringContaining('Any trees?'), expect.stringContaining('Any cars?')]);

    await page.getByLabel('Captions').check();
    await page.getByLabel('Style').selectOption('ALT_TEXT');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=row-count]')?.textContent === '1');
    expect(await page.locator('table.rows tbody tr').textContent()).toContain('ALT_TEXT');
  });

  it('serves GraphiQL at /graphql, which runs a query over HTTP and a subscription over graphql-ws', async () => {
    const newest = (await h.gateway.client.request<{ images: { edges: Array<{ node: { id: string } }> } }>('{ images(first: 1) { edges { node { id } } } }')).data!.images.edges[0]!.node.id;
    const job = (await h.gateway.client.request<{ jobs: { edges: Array<{ node: { id: string } }> } }>('{ jobs(first: 1) { edges { node { id } } } }')).data!.jobs.edges[0]!.node.id;
    await page.goto(`${origin}/#/images`);
    await page.getByRole('link', { name: 'GraphQL explorer' }).click();
    await page.waitForURL(`${origin}/graphql`);
    await page.locator('.graphiql-container').waitFor();
    // GraphiQL read the schema by introspection (the docs explorer can open it).
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();

    const run = async (operation: string) => {
      await page.locator('.graphiql-query-editor .CodeMirror').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(operation);
      await page.locator('.graphiql-execute-button').click();
    };
    const response = page.locator('.graphiql-response .CodeMirror');
    await run('{ images(first: 1) { edges { node { id } } } }');
    await page.waitForFunction((id) => document.querySelector('.graphiql-response .CodeMirror')?.textContent?.includes(id), newest);
    expect(await response.textContent()).toContain('"images"');

    await run(`subscription { jobCompleted(id: "${job}") { status total } }`);
    await page.waitForFunction(() => document.querySelector('.graphiql-response .CodeMirror')?.textContent?.includes('SUCCEEDED'));
    expect(await response.textContent()).toContain('"jobCompleted"');

    // The docs read the introspected schema; a dialog adds its <style> under the page's nonce (no CSP error).
    await page.getByRole('button', { name: /documentation explorer/i }).click();
    await page.getByText('Root Types').waitFor();
    await page.getByRole('button', { name: /settings/i }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  it('needs the API key once keys exist: clear UNAUTHENTICATED and RATE_LIMITED messages, and the key works over HTTP and WebSocket', async () => {
    const { key } = await h.gateway.app.services.keys.create({ tenant: 'default' });
    // The page's requests now answer 401 until it has the key.
    watched.expectErrors(/Failed to load resource: the server responded with a status of 401/);
    await page.goto(`${origin}/#/images`);
    const alert = page.getByRole('alert').filter({ hasText: 'UNAUTHENTICATED' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('paste one into the API key field');

    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('.grid a.tile').nth(2).waitFor();
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(key);
    // A subscription over the socket, authenticated by connectionParams.
    await page.goto(`${origin}/#/jobs`);
    await page.locator('.recent-jobs button').first().click();
    await page.getByTestId('job-status').filter({ hasText: 'SUCCEEDED' }).waitFor();

    // A key allowed one request a minute: the next one is refused with retryAfter.
    const { key: slow } = await h.gateway.app.services.keys.create({ tenant: 'default', requestsPerMinute: 1 });
    watched.expectErrors(/Failed to load resource: the server responded with a status of 429/);
    await page.getByLabel('API key').fill(slow);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('link', { name: 'Answers' }).click();
    // The jobs page's own refused requests may have raised alerts of their own before it was left: the Answers page's.
    await page.getByRole('heading', { name: 'Answers', level: 1 }).waitFor();
    const limited = page.getByRole('main').getByRole('alert').filter({ hasText: 'RATE_LIMITED' }).first();
    await limited.waitFor();
    expect(await limited.textContent()).toMatch(/Try again in \d+ s\./);
  });

  it('sent no request anywhere but the gateway on 127.0.0.1', () => {
    expect(watched.foreignRequests(origin)).toEqual([]);
    expect(watched.requested.some((url) => url.startsWith('ws://'))).toBe(true);
  });
});
