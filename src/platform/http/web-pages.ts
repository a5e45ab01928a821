import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import { GatewayError } from '../errors.js';
import { sendRequestError } from './json-errors.js';

/**
 * The HTML pages the gateway serves from the Vite build in web/dist (the
 * console at `/`, GraphiQL at GET /graphql): one strict Content-Security-Policy
 * and one set of headers for both. The build runs at `npm install` and at
 * `npm start` when missing (web/build.ts); it is never committed.
 */

/** Where `vite build` writes (web/vite.config.ts). */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * Same origin only, nothing inline: scripts and styles come from hashed files
 * of the build, so `'unsafe-inline'` and `'unsafe-eval'` are never needed.
 * `connect-src 'self'` covers fetch and, in CSP Level 3 browsers, the
 * same-origin ws:/wss: socket of graphql-ws. Image URLs are minted on
 * PUBLIC_URL when it is set, which may be another origin: it is allowed for
 * images (and nothing else).
 *
 * GraphiQL needs two exceptions, on the explorer page only:
 * - its own stylesheet embeds its fonts (Roboto, Fira Code) and a few icons
 *   as data: URLs, so `data:` is allowed for fonts and images: they come from
 *   our bundled CSS, and a font or an image cannot run code;
 * - its dialogs (Radix) lock scrolling by adding a <style> element at run
 *   time: allowed by a nonce made for each response (`styleNonce`), which the
 *   page hands to that library (web/src/explorer.tsx), not by 'unsafe-inline'.
 * Scripts stay 'self' only everywhere.
 */
export function pageCsp(publicUrl: string | undefined, page: 'console' | 'explorer', styleNonce?: string): string {
  const embedded = page === 'explorer' ? ['data:'] : [];
  const images = ["'self'", ...(publicUrl ? [new URL(publicUrl).origin] : []), ...embedded];
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self'${styleNonce ? ` 'nonce-${styleNonce}'` : ''}`,
    `img-src ${images.join(' ')}`,
    `font-src ${["'self'", ...embedded].join(' ')}`,
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const PAGE_HEADERS = {
  // Revalidate every time: the page names the hashed assets of the current build.
  'Cache-Control': 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  // Pages show signed image URLs: never hand them to another site as a Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

export const NOT_BUILT = 'The web console is not built: run `npm run build:web` (npm install and npm start build it when missing).';

/** Sends one page of the build with its headers; a coded JSON 404 naming the fix when the build is missing. */
export async function sendPage(req: Request, res: Response, file: 'index.html' | 'explorer.html', csp: string, edit: (html: string) => string = (html) => html): Promise<void> {
  let html: string;
  try {
    // Read per request (a few hundred bytes): a rebuild while the gateway runs is served at once.
    html = await readFile(WEB_DIST + file, 'utf8');
  } catch {
    return sendRequestError(req, res, new GatewayError('NOT_FOUND', NOT_BUILT));
  }
  res.set({ ...PAGE_HEADERS, 'Content-Security-Policy': csp }).type('html').send(edit(html));
}
