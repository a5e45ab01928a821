import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import type { Types } from '@graphql-codegen/plugin-helpers';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import webCodegen from '../../web/codegen.js';
import { collect, errorCodes, wsClient } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// The console at `/` and GraphiQL at GET /graphql over plain HTTP, no browser
// (test/e2e drives them in Chromium): headers, caching, the EXPLORER switch and
// the introspection that follows it. Needs web/dist (the test setup builds it).

let development: TestGateway;
let production: TestGateway;
let productionExplorer: TestGateway;

beforeAll(async () => {
  [development, production, productionExplorer] = await Promise.all([
    startGateway({ env: { NODE_ENV: 'development' } }),
    startGateway({ env: { NODE_ENV: 'production' } }),
    startGateway({ env: { NODE_ENV: 'production', EXPLORER: 'true' } }),
  ]);
});
afterAll(() => Promise.all([development, production, productionExplorer].map((g) => g?.stop())));

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const origin = (g: TestGateway) => g.server.url.replace(/\/graphql$/, '');
const get = (g: TestGateway, path: string, headers: Record<string, string> = { accept: BROWSER_ACCEPT }) => fetch(`${origin(g)}${path}`, { headers });

function expectStrictCsp(csp: string | null) {
  expect(csp).toBeTruthy();
  const directives = Object.fromEntries(csp!.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  expect(directives['default-src']).toEqual(["'none'"]);
  expect(directives['script-src']).toEqual(["'self'"]);
  expect(directives['style-src']).toEqual(["'self'"]);
  expect(directives['connect-src']).toEqual(["'self'"]);
  expect(directives['frame-ancestors']).toEqual(["'none'"]);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  return directives;
}

/** What both pages answer with, besides their CSP. */
function expectPageHeaders(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('cache-control')).toBe('no-cache');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
}

/** No inline script: every <script> loads a file of the build. */
const inlineScripts = (html: string) => [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter(([, attributes, body]) => !/\bsrc=/.test(attributes!) || body!.trim() !== '');

describe('the console at /', () => {
  it('serves the page with a strict CSP, no inline script, and no-cache', async () => {
    const response = await get(production, '/');
    expectPageHeaders(response);
    const csp = expectStrictCsp(response.headers.get('content-security-policy'));
    expect(csp['img-src']).toEqual(["'self'"]);
    expect(csp['font-src']).toEqual(["'self'"]);
    const html = await response.text();
    expect(html).toContain('<div id="root">');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/console-[\w-]+\.js"><\/script>/);
    expect(inlineScripts(html)).toEqual([]);
    expect(html).not.toMatch(/https?:\/\//);
    // No GraphiQL in production: the console does not link to it.
    expect(html).toContain('<meta name="gateway-explorer" content="off" />');
    expect(await (await get(development, '/')).text()).toContain('<meta name="gateway-explorer" content="on" />');
  });

  it('serves hashed assets as immutable for a year, and unknown assets as a JSON 404', async () => {
    const html = await (await get(production, '/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const response = await get(production, asset);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(response.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const missing = await get(production, '/assets/console-missing.js', { accept: '*/*' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('NOT_FOUND');
  });

  it('allows images from PUBLIC_URL when minted URLs point at another origin', async () => {
    const behindProxy = await startGateway({ env: { NODE_ENV: 'production', PUBLIC_URL: 'https://images.example.com/gateway' } });
    try {
      const csp = (await get(behindProxy, '/')).headers.get('content-security-policy')!;
      expect(csp).toContain("img-src 'self' https://images.example.com;");
      expect(csp).toContain("script-src 'self';");
    } finally {
      await behindProxy.stop();
    }
  });

  it('ships nothing secret: the build reads no environment variables', async () => {
    const html = await (await get(production, '/')).text();
    const script = html.match(/src="(\/assets\/console-[\w-]+\.js)"/)![1]!;
    const code = await (await get(production, script)).text();
    expect(code).not.toMatch(/QWEN_API_KEY|DASHSCOPE|URL_SIGNING_SECRET|test-key|sk-[a-z0-9]{8}/i);
    // It talks to its own origin only: relative /graphql, ws(s) to location.host.
    expect(code).toContain('Apollo-Require-Preflight');
    expect(code).not.toMatch(/localhost:\d+|127\.0\.0\.1/);
  });
});

describe('GraphiQL at GET /graphql (EXPLORER)', () => {
  it('serves GraphiQL to browsers in development, with a strict CSP and nothing from a CDN', async () => {
    const response = await get(development, '/graphql');
    expectPageHeaders(response);
    const header = response.headers.get('content-security-policy');
    // GraphiQL's dialogs add a <style>: allowed by a nonce of this response only (web-pages.ts).
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{24})'/.exec(header!)?.[1];
    expect(nonce).toBeTruthy();
    const csp = expectStrictCsp(header!.replace(` 'nonce-${nonce}'`, ''));
    // GraphiQL's own stylesheet embeds its fonts and icons as data: URLs (web-pages.ts).
    expect(csp['font-src']).toEqual(["'self'", 'data:']);
    const html = await response.text();
    expect(html).toContain('<div id="graphiql">');
    expect(html).toContain(`<meta name="style-nonce" content="${nonce}" />`);
    const again = (await get(development, '/graphql')).headers.get('content-security-policy');
    expect(again).not.toContain(nonce);
    expect(inlineScripts(html)).toEqual([]);
    expect(html).not.toMatch(/https?:\/\/|apollographql|cdn/i);
  });

  it('is off in production: a browser gets a coded JSON 404 naming EXPLORER, no HTML', async () => {
    const response = await get(production, '/graphql');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]!.extensions.code).toBe('NOT_FOUND');
    expect(body.errors[0]!.message).toContain('EXPLORER=true');
  });

  it('is on in production with EXPLORER=true', async () => {
    const response = await get(productionExplorer, '/graphql');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<div id="graphiql">');
  });

  it("leaves every other GET to Apollo, whose CDN landing pages are gone", async () => {
    for (const gateway of [development, production, productionExplorer]) {
      // A GraphQL client's GET still runs (with the CSRF preflight header).
      const query = await get(gateway, `/graphql?query=${encodeURIComponent('{ __typename }')}`, { accept: 'application/json', 'apollo-require-preflight': 'true' });
      expect(await query.json()).toEqual({ data: { __typename: 'Query' } });
      // Whatever the client accepts, nothing points at Apollo's CDN (the Sandbox or Explorer page).
      for (const accept of ['*/*', 'text/html', BROWSER_ACCEPT]) {
        const response = await get(gateway, '/graphql', { accept });
        const text = await response.text();
        expect(text).not.toMatch(/apollographql\.com|embeddable-sandbox|landing-page/);
      }
    }
  });
});

describe('introspection follows EXPLORER', () => {
  const introspect = (g: TestGateway) => g.client.request<{ __schema: { queryType: { name: string } } }>(getIntrospectionQuery());

  it('answers the full introspection query GraphiQL sends in development and with EXPLORER=true, within the cost limit', async () => {
    for (const gateway of [development, productionExplorer]) {
      const response = await introspect(gateway);
      expect(response.errors).toBeUndefined();
      expect(response.data!.__schema.queryType.name).toBe('Query');
    }
    const client = wsClient(productionExplorer.server.url);
    try {
      const [event] = await collect(client, '{ __type(name: "Image") { name } }', {});
      expect(event!.data).toEqual({ __type: { name: 'Image' } });
    } finally {
      await client.dispose();
    }
  });

  it('refuses it in production without EXPLORER, over HTTP and graphql-ws', async () => {
    const response = await introspect(production);
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toEqual(['INTROSPECTION_DISABLED']);
    expect(response.errors![0]!.message).toContain('EXPLORER');
    const client = wsClient(production.server.url);
    try {
      // graphql-ws delivers a refused operation as an `error` message: the iterator throws its errors.
      const refused = await collect(client, '{ __type(name: "Image") { name } }', {}).then(
        () => expect.fail('introspection over graphql-ws should be refused'),
        (errors: unknown) => errors as Array<{ extensions?: { code?: string } }>,
      );
      expect(refused.map((e) => e.extensions?.code)).toEqual(['INTROSPECTION_DISABLED']);
    } finally {
      await client.dispose();
    }
  });
});

describe('EXPLORER configuration', () => {
  it('defaults to off in production only, and an explicit value wins', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).explorer).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).explorer).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', EXPLORER: 'true' }).explorer).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', EXPLORER: 'false' }).explorer).toBe(false);
    expect(() => loadConfig({ EXPLORER: 'yes please' })).toThrow(ConfigError);
    expect(() => loadConfig({ EXPLORER: 'yes please' })).toThrow(/EXPLORER must be true or false/);
  });
});

describe('web/src/gql', () => {
  it('is exactly what the client preset generates from the committed schema and the console operations', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const outputs = (await generate({ ...webCodegen, cwd: root, silent: true } as Types.Config & { cwd: string }, false)) as Types.FileOutput[];
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const committed = await readFile(new URL(`../../${output.filename}`, import.meta.url), 'utf8').catch(() => '(missing)');
      expect(committed, `${output.filename} is stale: run \`npm run codegen\` and commit the result`).toBe(output.content);
    }
  }, 20_000);
});
