import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MODERATION_COLUMNS, USAGE_COLUMNS } from '../../src/modules/exports/export-columns.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';
import { nearDuplicateSet } from '../support/near-duplicate-set.js';
import { chromiumMissing, launchChromium, makePhoto } from './browser.js';
import { WatchedPage } from './watched-page.js';

// Issue 28 in Chromium: what the model saw (moderation, text, objects drawn over
// the photo, near-duplicates) and what it cost (the Usage page), the lists of
// every kind, and the states that used to mislead (unknown routes, a wrong key,
// an empty job list while a job runs). The tests run in order and build on each
// other; every one checks that the page logged no error, the last one that no
// request left 127.0.0.1. SCREENSHOTS=1 refreshes docs/console-vision.png and
// docs/console-usage.png.

// Browser objects the page.evaluate callbacks touch (the project's type library is Node's).
declare const document: { querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }> };
declare const navigator: { clipboard: { readText(): Promise<string> } };

let h: Harness;
let browser: Browser;
let watched: WatchedPage;
let page: Page;
let origin: string;
let pricesDir: string;

type Upload = { uploadImage: { id: string } };

async function upload(bytes: Buffer, name: string): Promise<string> {
  const response = await h.gateway.client.upload<Upload>('mutation($file: Upload!) { uploadImage(file: $file) { id } }', { file: null }, [{ path: 'variables.file', file: { name, bytes, type: 'image/jpeg' } }]);
  expect(response.errors).toBeUndefined();
  return response.data!.uploadImage.id;
}

async function request(query: string, variables: Record<string, unknown> = {}) {
  const response = await h.gateway.client.request(query, variables);
  expect(response.errors).toBeUndefined();
  return response.data;
}

const fileOf = async (download: Promise<Download>) => readFile((await (await download).path())!, 'utf8');
const headerOf = (csv: string) => csv.split('\r\n')[0];

describe.skipIf(chromiumMissing)('the console shows what the model saw and what it cost', { timeout: 120_000 }, () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    browser = await launchChromium();
    // The test model has no built-in price: priced here, the pages show what the work cost.
    pricesDir = await mkdtemp(path.join(os.tmpdir(), 'prices-'));
    const prices = path.join(pricesDir, 'prices.json');
    await writeFile(prices, JSON.stringify({ 'qwen-vl-test': { currency: 'USD', inputPerMillion: 0.8, outputPerMillion: 3.2, cachedInputPerMillion: 0.16 } }));
    h = await startHarness({ env: { MODEL_PRICES: prices } });
    origin = `http://127.0.0.1:${h.gateway.server.port}`;
    watched = await WatchedPage.open(browser);
    page = watched.page;
    await watched.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const photo = await makePhoto({ width: 800, height: 600, tint: [90, 140, 200], seed: 7 });
    ids.photo = await upload(photo, 'harbour.jpg');
    // A photo and its half-size re-encode: near-duplicates.
    const [set] = await nearDuplicateSet(1, 0);
    ids.original = await upload(set!.original.bytes, 'original.jpg');
    ids.resized = await upload(set!.variants.find((v) => v.name === 'resize-50')!.bytes, 'resized.jpg');
    // The fake model flags red-dominant images for VIOLENCE and GORE.
    ids.red = await upload(await makeImage({ format: 'jpeg', width: 320, height: 240, color: '#dd2020' }), 'red.jpg');
    await h.gateway.app.services.nearDuplicates.settled();
  }, 60_000);

  afterEach(() => watched.checkErrors());

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    if (pricesDir) await rm(pricesDir, { recursive: true, force: true });
  });

  it('asks for each kind on the image page: the verdict as a badge, the text with a copy button, the objects drawn over the photo', async () => {
    await page.goto(`${origin}/#/images/${ids.photo}`);
    const vision = page.getByRole('region', { name: 'What the model saw' });
    // Nothing stored yet, and nothing asked for these kinds on open.
    await vision.getByRole('button', { name: 'Moderate' }).waitFor();
    expect(await vision.getByText('Not asked yet.').count()).toBe(3);

    await vision.getByRole('button', { name: 'Moderate' }).click();
    expect(await vision.getByTestId('moderation-badge').textContent()).toBe('Clean');
    await vision.getByRole('button', { name: 'Read text' }).click();
    expect(await vision.getByTestId('read-text').textContent()).toMatch(/^TEXT 800x600 #[0-9a-f]{6}$/);
    await vision.getByRole('button', { name: 'Copy text' }).click();
    await vision.getByText('Copied.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^TEXT 800x600 /);

    await vision.getByRole('button', { name: 'Detect objects' }).click();
    const overlay = page.locator('svg[aria-label="Detected objects"]');
    await overlay.waitFor();
    const rows = page.getByRole('list', { name: 'Objects found' }).locator('li');
    expect(await overlay.locator('rect').count()).toBe(await rows.count());
    expect(await overlay.locator('rect').count()).toBeGreaterThan(0);
    // The fake finds each object over the centre half of the image, in its own pixels.
    const box = await overlay.locator('rect').first().evaluate((rect) => ['x', 'y', 'width', 'height'].map((name) => Number(rect.getAttribute(name))));
    expect(box[0]).toBeCloseTo(200, -1);
    expect(box[2]).toBeCloseTo(400, -1);
    expect(await overlay.locator('text').first().textContent()).toBe(await rows.first().evaluate((li) => li.firstChild?.textContent?.trim()));
    // Pointing at a box highlights its row, and pointing at a row highlights its box.
    await overlay.locator('rect').first().hover();
    await rows.first().and(page.locator('.highlighted')).waitFor();
    await page.getByRole('heading', { level: 1 }).hover();
    await page.locator('.object-list li.highlighted').waitFor({ state: 'detached' });
    await rows.first().hover();
    await overlay.locator('g.highlighted').waitFor();
  });

  it('shows the stored results of every kind when the page opens again, without asking the model', async () => {
    const before = h.fake.requests.length;
    // A new document: nothing of the last visit is kept in the page.
    await page.reload();
    await page.getByTestId('caption-BRIEF').waitFor();
    await page.getByTestId('read-text').waitFor();
    await page.locator('svg[aria-label="Detected objects"] rect').first().waitFor();
    expect(await page.getByTestId('moderation-badge').textContent()).toBe('Clean');
    expect(await page.getByRole('button', { name: 'Refresh moderation' }).isVisible()).toBe(true);
    // The BRIEF caption included: every kind comes from the store.
    expect(h.fake.requests.length - before).toBe(0);

    await page.getByTestId('picture').evaluate((img: { decode(): Promise<void> }) => img.decode());
    await watched.screenshot('console-vision', { fullPage: true });
    expect(await page.getByRole('region', { name: 'Near-duplicates' }).textContent()).toContain('None of your other images is a near-duplicate of this one.');

    // A photo's half-size re-encode is its near-duplicate.
    await page.goto(`${origin}/#/images/${ids.original}`);
    const near = page.getByRole('list', { name: 'Near-duplicate images' });
    await near.locator('a').first().waitFor();
    expect(await near.locator('a').getAttribute('href')).toBe(`#/images/${ids.resized}`);

    await page.goto(`${origin}/#/images/${ids.red}`);
    await page.getByRole('button', { name: 'Moderate' }).click();
    expect(await page.getByTestId('moderation-badge').textContent()).toBe('Flagged: VIOLENCE, GORE');
  });

  it('lists moderation verdicts filtered by verdict and category, text and detections; the CSV of the rows shown has the export’s columns', async () => {
    await page.goto(`${origin}/#/answers`);
    await page.getByLabel('Moderation').check();
    await page.waitForFunction(() => document.querySelectorAll('table.rows tbody tr').length === 2);
    await page.getByLabel('Verdict', { exact: true }).selectOption('flagged');
    await page.getByLabel('Category', { exact: true }).selectOption('GORE');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.rows tbody tr').length === 1);
    expect(await page.locator('table.rows tbody tr').textContent()).toContain('Flagged: VIOLENCE, GORE');
    // 1010 prompt and 20 completion tokens at 0.8 and 3.2 USD per million.
    expect(await page.locator('table.rows tbody tr').textContent()).toContain('0.000872 USD');

    // "Download CSV" (the rows shown) and "Export all as CSV" (the server's export) write the same columns.
    const shown = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV (1 rows)' }).click();
    const shownCsv = await fileOf(shown);
    const all = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export all as CSV' }).click();
    const allCsv = await fileOf(all);
    expect(headerOf(shownCsv)).toBe(MODERATION_COLUMNS.join(','));
    expect(headerOf(allCsv)).toBe(headerOf(shownCsv));
    expect(shownCsv.split('\r\n')[1]).toBe(allCsv.split('\r\n')[1]);

    await page.getByLabel('Text read').check();
    await page.locator('table.rows tbody tr', { hasText: 'TEXT 800x600' }).waitFor();
    await page.getByLabel('Detected objects').check();
    await page.waitForFunction(() => document.querySelectorAll('table.rows tbody tr').length === 1);
    expect(await page.getByRole('columnheader').allTextContents()).toContain('Objects');
    // Read text and detections have no server export: only the rows shown.
    expect(await page.getByRole('button', { name: 'Export all as CSV' }).count()).toBe(0);
  });

  it('shows tokens per day as a chart with a table under it, split by kind, with a CSV download of the usage export', async () => {
    await page.goto(`${origin}/#/usage`);
    const chart = page.getByRole('img', { name: 'Tokens per day' });
    await chart.locator('canvas').waitFor();
    const table = page.getByRole('table', { name: 'Usage per day' });
    await table.locator('tbody tr').first().waitFor();
    expect(Number(await page.getByTestId('total-tokens').textContent())).toBeGreaterThan(0);
    expect(await page.getByTestId('total-cost').textContent()).toMatch(/^0\.\d{6} USD$/);
    // Opening the image page again served its caption from the cache.
    expect(Number(await page.getByTestId('total-hits').textContent())).toBeGreaterThan(0);

    await page.getByLabel('Split by').selectOption('KIND');
    await page.getByRole('img', { name: 'Tokens per day by kind' }).locator('canvas').waitFor();
    await table.locator('tbody tr', { hasText: 'MODERATION' }).first().waitFor();
    for (const kind of ['CAPTION', 'TEXT', 'DETECTION']) expect(await table.locator('tbody tr', { hasText: kind }).count()).toBeGreaterThan(0);
    await watched.screenshot('console-usage', { fullPage: true });

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const csv = await fileOf(download);
    expect(headerOf(csv)).toBe(USAGE_COLUMNS.join(','));
    expect(csv).toContain(',MODERATION,');

    await page.getByLabel('Per', { exact: true }).selectOption('HOUR');
    await page.getByRole('img', { name: 'Tokens per hour by kind' }).locator('canvas').waitFor();
    await page.getByRole('table', { name: 'Usage per hour' }).locator('tbody tr').first().waitFor();
    // How cache hits matched; model work has no match.
    await page.getByLabel('Split by').selectOption('MATCH');
    await page.getByRole('img', { name: 'Tokens per hour by cache match' }).waitFor();
    await page.getByRole('table', { name: 'Usage per hour' }).locator('tbody tr', { hasText: 'model work' }).first().waitFor();

    // Other tenants are for admin keys: the open gateway's caller is not one.
    watched.expectErrors(/Failed to load resource/);
    await page.getByLabel('Split by').selectOption('TENANT');
    await page.getByRole('alert').filter({ hasText: 'FORBIDDEN' }).waitFor();
  });

  it('says so for a page that does not exist', async () => {
    await page.goto(`${origin}/#/nonsense`);
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    expect(await page.getByRole('main').textContent()).toContain('#/nonsense');
    expect(await page.locator('nav a[aria-current=page]').count()).toBe(0);
  });

  it('lists a job as soon as it is submitted, not "No jobs yet" while it runs', async () => {
    h.fake.holdReplies();
    try {
      await page.goto(`${origin}/#/jobs`);
      await page.getByText('No jobs yet.').waitFor();
      await page.locator('.pick-grid input[type=checkbox]').first().check();
      // A question never asked: the model must answer it, and the fake holds its reply.
      await page.getByLabel('Questions (one per line)').fill('Is it raining?');
      await page.getByRole('button', { name: /^Submit job/ }).click();
      await page.getByTestId('job-status').waitFor();
      await page.locator('.recent-jobs li').first().waitFor();
      expect(await page.getByText('No jobs yet.').count()).toBe(0);
      expect(await page.locator('.recent-jobs li').first().textContent()).toMatch(/QUEUED|RUNNING/);
    } finally {
      h.fake.releaseReplies();
    }
    await page.getByTestId('job-status').filter({ hasText: 'SUCCEEDED' }).waitFor();
  });

  it('downloads every conversation as JSON Lines', async () => {
    const started = (await request('mutation($ids: [ID!]!) { startConversation(imageIds: $ids) { id } }', { ids: [ids.photo] })) as { startConversation: { id: string } };
    await request('mutation($id: ID!) { sendMessage(conversationId: $id, text: "What is here?") { id } }', { id: started.startConversation.id });
    await page.goto(`${origin}/#/conversations`);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export all as JSON Lines' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^conversations-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const lines = (await readFile((await file.path())!, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line) as { id: string; messages: Array<{ role: string; text: string }> });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.id).toBe(started.startConversation.id);
    expect(lines[0]!.messages.map((m) => m.role)).toEqual(['USER', 'ASSISTANT']);
  });

  it('says when the key is refused, and splits usage by tenant for an admin key', async () => {
    const { key: admin } = await h.gateway.app.services.keys.create({ tenant: 'default', admin: true });
    watched.expectErrors(/Failed to load resource: the server responded with a status of 401/);
    await page.goto(`${origin}/#/usage`);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('status').filter({ hasText: 'Key refused' }).waitFor();

    await page.getByLabel('API key').fill(admin);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('status').filter({ hasText: 'Key in use' }).waitFor();
    await page.getByLabel('Split by').selectOption('TENANT');
    await page.getByRole('table', { name: 'Usage per day' }).locator('tbody tr', { hasText: 'default' }).first().waitFor();
    await page.getByRole('img', { name: 'Tokens per day by tenant' }).waitFor();
  });

  it('sent no request anywhere but the gateway on 127.0.0.1', () => {
    expect(watched.foreignRequests(origin)).toEqual([]);
  });
});
