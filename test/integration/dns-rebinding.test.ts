import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { mintUrls } from '../support/image-urls.js';

// Issue 21, point 3: DNS rebinding. A page on evil.example whose name is
// re-pointed at the gateway's address sends `Host: evil.example:<port>` and a
// matching Origin, so CORS and the Origin checks pass; only the Host tells.
// Requests are raw node:http ones, which (unlike fetch) may name any Host.

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to the gateway's port with exactly these headers (Host included). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A WebSocket handshake on /graphql naming this Host: 101 when upgraded, else the refusal as written. */
function upgrade(port: number, host: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: '/graphql',
      setHost: false,
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'graphql-transport-ws',
      },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' });
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end();
  });
}

const codeOf = (answer: RawAnswer) => (JSON.parse(answer.body) as { errors: Array<{ extensions: { code: string } }> }).errors.map((e) => e.extensions.code);
const pathOf = (url: string) => {
  const { pathname, search } = new URL(url, 'http://unused');
  return `${pathname}${search}`;
};

/** Image.url of each image in an answer to READ. */
const imageUrlsIn = (answer: RawAnswer) => (JSON.parse(answer.body) as { data: { images: { edges: Array<{ node: { url: string } }> } } }).data.images.edges.map((e) => e.node.url);

const READ = JSON.stringify({ query: '{ images(first: 5) { edges { node { id url } } } }' });
const JSON_POST = { 'content-type': 'application/json' };

describe('a gateway on its default host allow-list', () => {
  let gateway: TestGateway;
  let port: number;
  let imageId: string;
  let imagePath: string;
  const evil = () => `evil.example:${port}`;
  const asEvil = () => ({ host: evil(), origin: `http://${evil()}` });

  beforeAll(async () => {
    gateway = await startGateway();
    port = gateway.server.port;
    // The test client calls http://localhost:<port>: the default admits it.
    const image = await uploadNew(gateway.client, { format: 'png', width: 24, height: 16 });
    imageId = image.id;
    imagePath = pathOf((await mintUrls(gateway.client, image.id)).url);
  });
  afterAll(() => gateway.stop());

  it('refuses a rebound host on every route with 421 FORBIDDEN in the JSON error shape', async () => {
    const requests: Array<[string, string, Record<string, string>, string?]> = [
      ['POST', '/graphql', JSON_POST, READ],
      ['GET', `/graphql?query=${encodeURIComponent('{ images(first: 1) { totalCount } }')}`, { 'apollo-require-preflight': 'true' }],
      ['GET', '/graphql', { accept: 'text/html' }],
      ['OPTIONS', '/graphql', { 'access-control-request-method': 'POST' }],
      ['GET', '/', { accept: 'text/html' }],
      ['GET', imagePath, {}],
      ['GET', '/export/questions.csv', {}],
      ['GET', '/metrics', {}],
      ['GET', '/healthz', {}],
      ['GET', '/readyz', {}],
      ['GET', '/no/such/page', {}],
    ];
    for (const [method, path, headers, body] of requests) {
      const answer = await raw(port, method, path, { ...asEvil(), ...headers }, body);
      expect([method, path, answer.status]).toEqual([method, path, 421]);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(codeOf(answer)).toEqual(['FORBIDDEN']);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
    const message = (JSON.parse((await raw(port, 'GET', '/', asEvil())).body) as { errors: Array<{ message: string }> }).errors[0]!.message;
    expect(message).toContain(`"${evil()}"`);
    expect(message).toMatch(/ALLOWED_HOSTS/);
  });

  it('refuses before anything runs: a rebound mutation changes nothing', async () => {
    const deletion = JSON.stringify({ query: 'mutation($id: ID!) { deleteImage(id: $id) }', variables: { id: imageId } });
    expect((await raw(port, 'POST', '/graphql', { ...asEvil(), ...JSON_POST }, deletion)).status).toBe(421);
    const still = await gateway.client.request<{ image: { id: string } | null }>('query($id: ID!) { image(id: $id) { id } }', { id: imageId });
    expect(still.data?.image?.id).toBe(imageId);
  });

  it('refuses a rebound WebSocket upgrade with 421 before upgrading', async () => {
    const refused = await upgrade(port, evil());
    expect(refused.status).toBe(421);
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(codeOf(refused)).toEqual(['FORBIDDEN']);
    expect((await upgrade(port, `localhost:${port}`)).status).toBe(101);
  });

  it('admits localhost and IP addresses, any port: tests, replicas, kubelet probes and scrapers by pod IP', async () => {
    for (const host of [`localhost:${port}`, 'LOCALHOST.', `127.0.0.1:${port}`, `[::1]:${port}`, '10.1.2.3:4000', '[fd00::7]']) {
      const answer = await raw(port, 'POST', '/graphql', { host, ...JSON_POST }, READ);
      expect([host, answer.status]).toEqual([host, 200]);
    }
    expect((await raw(port, 'GET', '/healthz', { host: '10.1.2.3:4000' })).status).toBe(200);
    expect((await raw(port, 'GET', imagePath, { host: `127.0.0.1:${port}` })).status).toBe(200);
  });

  it('mints URLs on the admitted host the client addressed', async () => {
    const answer = await raw(port, 'POST', '/graphql', { host: `127.0.0.1:${port}`, ...JSON_POST }, READ);
    const urls = imageUrlsIn(answer);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith(`http://127.0.0.1:${port}/images/`)).toBe(true);
  });
});

describe('ALLOWED_HOSTS and PUBLIC_URL', () => {
  it('admit the listed names (and *.name subdomains) and PUBLIC_URL’s host; URLs are minted on PUBLIC_URL whatever the Host', async () => {
    const gateway = await startGateway({ env: { ALLOWED_HOSTS: 'gateway.prod.svc.cluster.local, gateway, *.internal.example', PUBLIC_URL: 'https://images.example.com/qwen' } });
    try {
      const port = gateway.server.port;
      await uploadNew(gateway.client, { format: 'png', width: 12, height: 12 });
      for (const host of ['gateway.prod.svc.cluster.local', `gateway:${port}`, 'a.internal.example', 'images.example.com', `localhost:${port}`]) {
        const answer = await raw(port, 'POST', '/graphql', { host, ...JSON_POST }, READ);
        expect([host, answer.status]).toEqual([host, 200]);
        const urls = imageUrlsIn(answer);
        expect(urls.length).toBeGreaterThan(0);
        for (const url of urls) expect(url.startsWith('https://images.example.com/qwen/images/')).toBe(true);
      }
      for (const host of ['internal.example', 'gateway.evil.example', 'evil.example']) {
        expect([host, (await raw(port, 'POST', '/graphql', { host, ...JSON_POST }, READ)).status]).toEqual([host, 421]);
      }
    } finally {
      await gateway.stop();
    }
  });

  it('with `*` answer any host, but never mint URLs on it: without PUBLIC_URL they are relative', async () => {
    const gateway = await startGateway({ env: { ALLOWED_HOSTS: '*' } });
    try {
      const port = gateway.server.port;
      await uploadNew(gateway.client, { format: 'png', width: 12, height: 12 });
      const answer = await raw(port, 'POST', '/graphql', { host: `evil.example:${port}`, ...JSON_POST }, READ);
      expect(answer.status).toBe(200);
      const urls = imageUrlsIn(answer);
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) expect(url).toMatch(/^\/images\/[^/]+\?/);
    } finally {
      await gateway.stop();
    }
  });
});
