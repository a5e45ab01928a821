import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/platform/errors.js';
import { receiveStream } from '../../src/modules/images/receive-stream.js';
import { openRemoteImage, type HostResolver, type UrlImportOptions } from '../../src/modules/imports/index.js';

/** Real sockets on loopback only: every host name below is resolved by an injected resolver or /etc/hosts. */

const IMAGE = Buffer.from('\x89PNG\r\n\x1a\n fake image bytes');

interface Local {
  server: http.Server;
  port: number;
  /** TCP connections accepted since the last reset. */
  connections: number;
  /** Fires when a response of the current test is closed (client went away or it ended). */
  closed: Array<Promise<void>>;
  written: number;
}

async function listen(host: string, port: number, handler: (req: http.IncomingMessage, res: http.ServerResponse, local: Local) => void): Promise<Local> {
  const sockets = new Set<Socket>();
  const local: Local = { server: http.createServer((req, res) => handler(req, res, local)), port: 0, connections: 0, closed: [], written: 0 };
  local.server.on('connection', (socket: Socket) => {
    local.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  local.server.listen(port, host);
  await once(local.server, 'listening');
  local.port = (local.server.address() as AddressInfo).port;
  local.server.on('close', () => sockets.forEach((s) => s.destroy()));
  return local;
}

function routes(req: http.IncomingMessage, res: http.ServerResponse, local: Local): void {
  const url = new URL(req.url ?? '/', 'http://x');
  local.closed.push(once(res, 'close').then(() => undefined));
  const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (redirect) {
    // /redirect/N answers N redirects in a row (relative Locations) before the image.
    const left = Number(redirect[1]);
    res.writeHead(302, { location: left <= 1 ? '/image' : `/redirect/${left - 1}` }).end();
    return;
  }
  switch (url.pathname) {
    case '/image':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': IMAGE.length }).end(IMAGE);
      return;
    case '/to':
      res.writeHead(307, { location: url.searchParams.get('location') ?? '' }).end();
      return;
    case '/no-location':
      res.writeHead(302).end();
      return;
    case '/slow': {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write('x');
      const timer = setInterval(() => res.write('x'), 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case '/stall':
      // Never answers.
      return;
    case '/endless': {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(16 * 1024, 7);
      const pump = () => {
        while (!res.destroyed) {
          local.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      pump();
      return;
    }
    case '/declared-huge':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 500 * 1024 * 1024 });
      res.write(Buffer.alloc(1024));
      return;
    case '/truncated':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 1000 });
      res.write(Buffer.alloc(10), () => res.destroy());
      return;
    default:
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  }
}

let main: Local;
let other: Local;
const base = (pathName: string, local = main) => `http://127.0.0.1:${local.port}${pathName}`;
const options = (overrides: Partial<UrlImportOptions> = {}): UrlImportOptions => ({ allowedHosts: [], timeoutMs: 2000, maxRedirects: 3, maxBytes: 64 * 1024, ...overrides });
const allowMain = () => options({ allowedHosts: [`127.0.0.1:${main.port}`] });

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected a GatewayError, got success');
}

beforeAll(async () => {
  main = await listen('127.0.0.1', 0, routes);
  other = await listen('127.0.0.1', 0, routes);
});

afterAll(async () => {
  for (const local of [main, other]) {
    local.server.closeAllConnections();
    local.server.close();
  }
});

beforeEach(() => {
  for (const local of [main, other]) {
    local.connections = 0;
    local.closed = [];
    local.written = 0;
  }
});

describe('openRemoteImage: addresses', () => {
  it('refuses 127.0.0.1 by default without connecting', async () => {
    const error = await failure(openRemoteImage(base('/image'), options()));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/127\.0\.0\.1.*not publicly routable: loopback.*IMPORT_ALLOWED_HOSTS/);
    expect(main.connections).toBe(0);
  });

  it.each(['http://[::1]:PORT/image', 'http://0x7f.1:PORT/image', 'http://2130706433:PORT/image', 'http://[::ffff:127.0.0.1]:PORT/image', 'http://0.0.0.0:PORT/image', 'http://169.254.169.254/latest/meta-data/'])(
    'refuses the IP literal in %s',
    async (url) => {
      const error = await failure(openRemoteImage(url.replace('PORT', String(main.port)), options()));
      expect(error.code).toBe('FORBIDDEN');
      expect(main.connections).toBe(0);
    },
  );

  it('fetches an allow-listed host:port, or host on any port', async () => {
    for (const allowedHosts of [[`127.0.0.1:${main.port}`], ['127.0.0.1']]) {
      const image = await openRemoteImage(base('/image?x=1'), options({ allowedHosts }));
      expect(await readAll(image.stream)).toEqual(IMAGE);
    }
  });

  it('checks the resolved address, not the name: localhost is refused although other names are allowed', async () => {
    const error = await failure(openRemoteImage(`http://localhost:${main.port}/image`, options({ allowedHosts: ['images.internal', `127.0.0.1:${main.port}`] })));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/^The URL's host "localhost:\d+" resolves to an address that is not publicly routable: loopback .*IMPORT_ALLOWED_HOSTS/);
    expect(error.message).not.toMatch(/127\.0\.0\.1|::1/); // the resolved address goes to logs (cause), not to the caller
    expect(String((error.cause as Error).message)).toMatch(/127\.0\.0\.1|::1/);
    expect(main.connections).toBe(0);
  });

  it('refuses a public-looking name whose DNS answer is private, resolving it once, without connecting', async () => {
    const lookup = vi.fn<HostResolver>(async () => [{ address: '127.0.0.1', family: 4 }]);
    const error = await failure(openRemoteImage(`http://images.example.com:${main.port}/image`, options({ lookup })));
    expect(error.code).toBe('FORBIDDEN');
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(main.connections).toBe(0);
  });

  it('connects to the very address the resolver answered (no second resolution to rebind)', async () => {
    // The same port on two loopback addresses: "first" at 127.0.0.2, "second" at 127.0.0.1.
    const first = await listen('127.0.0.2', main.port, (_req, res) => res.writeHead(200).end('first'));
    try {
      const answers = ['127.0.0.2', '127.0.0.1'];
      const lookup = vi.fn<HostResolver>(async () => [{ address: answers.shift() ?? '127.0.0.1', family: 4 }]);
      // Allow-listed so loopback may be used at all; the address check itself is covered above and in the unit tests.
      const image = await openRemoteImage(`http://rebind.test:${main.port}/image`, options({ allowedHosts: ['rebind.test'], lookup }));
      expect((await readAll(image.stream)).toString()).toBe('first');
      expect(lookup).toHaveBeenCalledTimes(1);
      expect(main.connections).toBe(0);
    } finally {
      first.server.closeAllConnections();
      first.server.close();
    }
  });

  it('refuses https to loopback names the same way', async () => {
    const error = await failure(openRemoteImage(`https://localhost:${main.port}/image`, options()));
    expect(error.code).toBe('FORBIDDEN');
  });

  it('reports a refused connection to an allowed host as BAD_USER_INPUT', async () => {
    const probe = await listen('127.0.0.1', 0, () => undefined);
    const port = probe.port;
    probe.server.close();
    await once(probe.server, 'close');
    const error = await failure(openRemoteImage(`http://127.0.0.1:${port}/image`, options({ allowedHosts: ['127.0.0.1'] })));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('connection was refused') });
  });
});

describe('openRemoteImage: redirects', () => {
  it('follows up to maxRedirects, re-checking each hop', async () => {
    const image = await openRemoteImage(base('/redirect/3'), allowMain());
    expect(await readAll(image.stream)).toEqual(IMAGE);
    // A fresh connection (so a fresh lookup and check) per hop.
    expect(main.connections).toBe(4);
  });

  it('refuses longer chains as BAD_USER_INPUT', async () => {
    const error = await failure(openRemoteImage(base('/redirect/4'), allowMain()));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('more than 3 times') });
    expect(main.connections).toBe(4);
    const none = await failure(openRemoteImage(base('/redirect/1'), { ...allowMain(), maxRedirects: 0 }));
    expect(none.code).toBe('BAD_USER_INPUT');
  });

  it('refuses an allowed host redirecting to a loopback name that is not allowed', async () => {
    const target = encodeURIComponent(`http://localhost:${main.port}/image`);
    const error = await failure(openRemoteImage(base(`/to?location=${target}`), allowMain()));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/^The URL redirected to host "localhost:\d+"/);
    expect(main.connections).toBe(1);
  });

  it('refuses a redirect to another port when only one port is allowed, and to the metadata address', async () => {
    for (const location of [`http://127.0.0.1:${other.port}/image`, 'http://169.254.169.254/latest/meta-data/', 'http://metadata.test/']) {
      const lookup: HostResolver = async () => [{ address: '169.254.169.254', family: 4 }];
      const error = await failure(openRemoteImage(base(`/to?location=${encodeURIComponent(location)}`), { ...allowMain(), lookup }));
      expect(error.code, location).toBe('FORBIDDEN');
    }
    expect(other.connections).toBe(0);
  });

  it('refuses redirects to other schemes or with credentials, and redirects without a Location', async () => {
    for (const location of ['ftp://example.com/a.png', 'file:///etc/passwd', 'http://alice:hunter2@example.com/']) {
      const error = await failure(openRemoteImage(base(`/to?location=${encodeURIComponent(location)}`), allowMain()));
      expect(error.code, location).toBe('BAD_USER_INPUT');
      expect(error.message).not.toContain('hunter2');
    }
    const error = await failure(openRemoteImage(base('/no-location'), allowMain()));
    expect(error.message).toMatch(/HTTP 302 without a Location/);
  });
});

describe('openRemoteImage: URLs and statuses', () => {
  it.each(['ftp://example.com/a.png', 'file:///etc/passwd', 'http://user:pass@example.com/a.png', 'not a url'])('refuses %s as BAD_USER_INPUT', async (url) => {
    expect((await failure(openRemoteImage(url, options()))).code).toBe('BAD_USER_INPUT');
  });

  it('refuses non-2xx answers, naming the origin but not the path or query', async () => {
    const error = await failure(openRemoteImage(base('/secret/path?token=s3cr3t'), allowMain()));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', extensions: { upstreamStatus: 404 } });
    expect(error.message).toContain('The URL answered HTTP 404');
    expect(error.message).toContain(`http://127.0.0.1:${main.port}`);
    expect(error.message).not.toMatch(/s3cr3t|secret/);
  });

  it('reports a body cut short', async () => {
    const image = await openRemoteImage(base('/truncated'), allowMain());
    const error = await failure(readAll(image.stream));
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('broke before the whole image arrived') });
  });
});

describe('openRemoteImage: time and size limits', () => {
  it('destroys a slow body at the deadline', async () => {
    const started = Date.now();
    const image = await openRemoteImage(base('/slow'), { ...allowMain(), timeoutMs: 400 });
    const error = await failure(readAll(image.stream));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', message: 'The remote server did not send the image within 400 ms (IMPORT_TIMEOUT_MS).' });
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(400 + 10_000); // a backstop: the body itself never ends
    await Promise.all(main.closed);
  });

  it('gives up on a server that never answers', async () => {
    const started = Date.now();
    const error = await failure(openRemoteImage(base('/stall'), { ...allowMain(), timeoutMs: 300 }));
    expect(error.message).toMatch(/did not send the image within 300 ms/);
    expect(Date.now() - started).toBeLessThan(300 + 10_000); // a backstop: the server never answers
  });

  it('keeps an error that happens before anyone reads, for the first reader', async () => {
    const image = await openRemoteImage(base('/slow'), { ...allowMain(), timeoutMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await failure(readAll(image.stream))).message).toMatch(/within 200 ms/);
  });

  it('stops an endless body at maxBytes and closes the connection instead of draining it', async () => {
    const maxBytes = 256 * 1024;
    const image = await openRemoteImage(base('/endless'), { ...allowMain(), maxBytes });
    let read = 0;
    const error = await failure(
      (async () => {
        for await (const chunk of image.stream) read += (chunk as Buffer).length;
      })(),
    );
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(`${maxBytes}-byte limit`) });
    expect(read).toBeLessThanOrEqual(maxBytes);
    await Promise.all(main.closed);
    // What the server got out before the close: the cap plus socket buffers, nowhere near "everything".
    expect(main.written).toBeLessThan(maxBytes + 16 * 1024 * 1024);
  });

  it('refuses a declared Content-Length over maxBytes before reading the body', async () => {
    const error = await failure(openRemoteImage(base('/declared-huge'), allowMain()));
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('524288000 bytes, over the 65536-byte limit') });
    await Promise.all(main.closed);
  });
});

describe('openRemoteImage with receiveStream (how ImageService.upload consumes it)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'url-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the body and keeps the import errors’ codes', async () => {
    const ok = await receiveStream((await openRemoteImage(base('/image'), allowMain())).stream, path.join(dir, 'ok'), 64 * 1024);
    expect(ok.sha256).toBe(createHash('sha256').update(IMAGE).digest('hex'));

    const big = openRemoteImage(base('/endless'), allowMain()).then(({ stream }) => receiveStream(stream, path.join(dir, 'big'), 64 * 1024));
    expect((await failure(big)).code).toBe('PAYLOAD_TOO_LARGE');

    const slow = openRemoteImage(base('/slow'), { ...allowMain(), timeoutMs: 300 }).then(({ stream }) => receiveStream(stream, path.join(dir, 'slow'), 64 * 1024));
    expect((await failure(slow)).message).toMatch(/did not send the image within 300 ms/);
  });
});
