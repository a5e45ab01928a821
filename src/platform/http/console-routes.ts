import express, { Router } from 'express';
import { pageCsp, sendPage, WEB_DIST } from './web-pages.js';

/**
 * The web console: GET / is its page (no-cache, strict CSP), /assets/* the
 * hashed files of the Vite build (cached for a year, immutable: a new build
 * has new names). Needs no API key: the page holds no data, and the key the
 * user types stays in the browser (sessionStorage) and goes with each request.
 * Routing inside the console is by URL fragment (#/images/…), so no path of
 * the console collides with /images/:id or /graphql.
 */
export function consoleRoutes(options: { publicUrl: string | undefined; explorer: boolean }): Router {
  const csp = pageCsp(options.publicUrl, 'console');
  // The page links to GraphiQL only when GET /graphql serves it (a meta tag: no inline script needed).
  const explorerFlag = (html: string) => html.replace('<meta name="gateway-explorer" content="off" />', `<meta name="gateway-explorer" content="${options.explorer ? 'on' : 'off'}" />`);
  const router = Router();
  router.get('/', (req, res) => sendPage(req, res, 'index.html', csp, explorerFlag));
  router.use(
    '/assets',
    express.static(`${WEB_DIST}assets`, {
      index: false,
      redirect: false,
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => res.set({ 'X-Content-Type-Options': 'nosniff', 'Cross-Origin-Resource-Policy': 'same-origin' }),
    }),
  );
  router.get('/favicon.svg', (_req, res, next) => {
    res.set({ 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' });
    // Missing (no build): fall through to the JSON 404.
    res.sendFile(`${WEB_DIST}favicon.svg`, (error) => error && next());
  });
  return router;
}
