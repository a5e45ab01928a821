/**
 * A Chromium page on a test gateway that keeps what every browser test checks
 * afterwards: errors the page logged (console errors, uncaught exceptions)
 * that the test did not expect, the HTTP errors that explain them, and every
 * URL it asked for (nothing may leave 127.0.0.1).
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { compressScreenshot } from './browser.js';

/** SCREENSHOTS=1 refreshes the PNGs in docs/; ordinary runs never rewrite committed files. */
const SCREENSHOTS = process.env.SCREENSHOTS === '1';

export class WatchedPage {
  /** Every URL the page asked for: documents, scripts, fetches, images, WebSockets. */
  readonly requested: string[] = [];
  private errors: string[] = [];
  private expected: RegExp[] = [];
  private failedResponses: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser): Promise<WatchedPage> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, acceptDownloads: true });
    const watched = new WatchedPage(context, await context.newPage());
    const { page, requested } = watched;
    context.on('request', (request) => requested.push(request.url()));
    // A backstop for waits on a busy machine (CI runs the suite beside other work), not a measure.
    page.setDefaultTimeout(30_000);
    page.on('websocket', (socket) => requested.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') watched.errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => watched.errors.push(`uncaught: ${error.message}`));
    // Kept to explain a failure: which request answered an error, and what it said.
    page.on('response', async (response) => {
      if (response.status() >= 400) watched.failedResponses.push(`${response.status()} ${response.request().method()} ${response.url()}: ${(await response.text().catch(() => '')).slice(0, 300)}`);
    });
    return watched;
  }

  /** Errors the current test provokes on purpose (e.g. the 415 of a text file sent as an image). */
  expectErrors(...patterns: RegExp[]): void {
    this.expected.push(...patterns);
  }

  /** For afterEach: fails when the page logged an error the test did not expect; then starts afresh. */
  checkErrors(): void {
    const unexpected = this.errors.filter((text) => !this.expected.some((pattern) => pattern.test(text)));
    const responses = this.failedResponses;
    this.errors = [];
    this.expected = [];
    this.failedResponses = [];
    expect(unexpected, `the browser console logged errors (failed responses: ${responses.join(' | ') || 'none'})`).toEqual([]);
  }

  /** URLs asked of anything but the gateway at `origin` (http://127.0.0.1:PORT). */
  foreignRequests(origin: string): string[] {
    const socket = origin.replace(/^http/, 'ws');
    return this.requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(`${socket}/`) && !/^(data|blob):/.test(url));
  }

  /** A docs screenshot in docs/ (SCREENSHOTS=1 only): the page from its top, or one element of it. */
  async screenshot(name: string, target: { fullPage?: boolean; element?: Locator } = {}): Promise<void> {
    if (!SCREENSHOTS) return;
    const file = new URL(`../../docs/${name}.png`, import.meta.url).pathname;
    if (target.element) return compressScreenshot(await target.element.screenshot(), file);
    await this.page.evaluate('scrollTo(0, 0)');
    await compressScreenshot(await this.page.screenshot({ fullPage: target.fullPage ?? false }), file);
  }
}
