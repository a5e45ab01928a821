import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFetch } from '../../src/model/http-fetch.js';

/**
 * The fetch beneath the OpenAI SDK (src/model/http-fetch.ts), against real
 * HTTP and HTTPS servers: what the SDK relies on from fetch must hold —
 * bodies out and back, headers, a stream of events handed over as it
 * arrives, aborts and failed connections rejected as fetch rejects them,
 * redirects followed, compressed replies decoded, TLS verified.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let handler: Handler;
const seen: Seen[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handler(req, res, body);
  });
});
let origin: string;

const completion = (text: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'qwen-vl-max',
  choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
});

const sdk = (baseURL = `${origin}/v1`) => new OpenAI({ baseURL, apiKey: 'sk-test', fetch: httpFetch, maxRetries: 0 });
const ask = (client = sdk()) => client.chat.completions.create({ model: 'qwen-vl-max', messages: [{ role: 'user', content: 'Qué es «esto»? 🌊' }] });

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

describe('httpFetch beneath the OpenAI SDK', () => {
  it('sends the JSON body whole, with its length and the key, and returns the parsed reply with its headers', async () => {
    seen.length = 0;
    handler = (_req, res) => {
      res.setHeader('x-request-id', 'req-42');
      res.setHeader('x-multi', ['a', 'b']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(completion('Un faro.')));
    };
    const { data, response } = await ask().withResponse();
    expect(data.choices[0]!.message.content).toBe('Un faro.');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(response.headers.get('x-multi')).toBe('a, b');

    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    expect(request!.headers.authorization).toBe('Bearer sk-test');
    expect(Number(request!.headers['content-length'])).toBe(Buffer.byteLength(request!.body));
    expect(request!.headers['accept-encoding']).toBeUndefined();
    expect(JSON.parse(request!.body).messages[0].content).toBe('Qué es «esto»? 🌊');
  });

  it('hands a stream of events over as it arrives, before the server has finished', async () => {
    let finish!: () => void;
    const released = new Promise<void>((resolve) => (finish = resolve));
    const event = (content: string, finishReason: string | null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'qwen-vl-max', choices: [{ index: 0, delta: { content }, finish_reason: finishReason }] })}\n\n`;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(event('Un ', null));
      void released.then(() => res.end(`${event('faro.', 'stop')}data: [DONE]\n\n`));
    };
    const stream = await sdk().chat.completions.create({ model: 'qwen-vl-max', stream: true, messages: [{ role: 'user', content: 'Qué es?' }] });
    const parts: string[] = [];
    for await (const chunk of stream) {
      parts.push(chunk.choices[0]?.delta.content ?? '');
      // The first event came while the server still held the reply open: release the rest.
      if (parts.length === 1) finish();
    }
    expect(parts).toEqual(['Un ', 'faro.']);
  });

  it('rejects with the abort reason when aborted before or while the reply arrives, and the connection is closed', async () => {
    const early = new AbortController();
    early.abort();
    await expect(httpFetch(`${origin}/v1/models`, { signal: early.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const controller = new AbortController();
    const closed = new Promise<void>((resolve) => {
      handler = (_req, res) => {
        res.on('close', () => resolve());
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"choices":[');
        controller.abort();
      };
    });
    await expect(httpFetch(`${origin}/v1/chat/completions`, { method: 'POST', body: '{}', signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    await closed;
  });

  it('rejects as fetch does when the connection fails or the reply is cut short; the SDK calls both a connection error', async () => {
    const unused = http.createServer();
    unused.listen(0, '127.0.0.1');
    await once(unused, 'listening');
    const { port } = unused.address() as AddressInfo;
    unused.close();
    await once(unused, 'close');
    const refused = await httpFetch(`http://127.0.0.1:${port}/v1/models`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
    await expect(ask(sdk(`http://127.0.0.1:${port}/v1`))).rejects.toBeInstanceOf(OpenAI.APIConnectionError);

    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"id":"chatcmpl-1","choices":[');
      setImmediate(() => res.socket?.destroy());
    };
    await expect(httpFetch(`${origin}/v1/chat/completions`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });

  it('follows a redirect through global fetch, the body sent again to where it points', async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (req.url === '/old/chat/completions') {
        res.writeHead(307, { location: '/v1/chat/completions' }).end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(completion('Redirected.')));
    };
    const data = await ask(sdk(`${origin}/old`));
    expect(data.choices[0]!.message.content).toBe('Redirected.');
    // The redirect is left to global fetch, which asks the old address again and follows it (and its rules).
    expect(seen.map((request) => [request.method, request.url])).toEqual([
      ['POST', '/old/chat/completions'],
      ['POST', '/old/chat/completions'],
      ['POST', '/v1/chat/completions'],
    ]);
    expect(new Set(seen.map((request) => request.body)).size).toBe(1);
  });

  it('decodes a reply compressed although it asked for none, and gives a 204 no body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify(completion('Compressed.'))));
    };
    expect((await ask()).choices[0]!.message.content).toBe('Compressed.');

    handler = (_req, res) => res.writeHead(204).end();
    const empty = await httpFetch(`${origin}/v1/files/x`, { method: 'DELETE' });
    expect([empty.status, empty.body]).toEqual([204, null]);
  });
});

describe('httpFetch over HTTPS', () => {
  let dir: string;
  let tls: https.Server;
  let tlsOrigin: string;
  let certificate: string;

  beforeAll(async () => {
    // A certificate of its own for 127.0.0.1, made here (openssl is on every machine of this kind).
    dir = await mkdtemp(path.join(os.tmpdir(), 'http-fetch-tls-'));
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    certificate = await readFile(cert, 'utf8');
    tls = https.createServer({ key: await readFile(key), cert: certificate }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(completion('Over TLS.')));
    });
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    tlsOrigin = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    tls?.closeAllConnections();
    tls?.close();
    delete https.globalAgent.options.ca;
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies the server: a certificate nobody vouches for is refused, one the agent trusts is answered', async () => {
    const refused = await httpFetch(`${tlsOrigin}/v1/models`).catch((error: unknown) => error);
    expect(refused).toMatchObject({ message: 'fetch failed', cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' } });

    https.globalAgent.options.ca = certificate;
    expect((await ask(sdk(`${tlsOrigin}/v1`))).choices[0]!.message.content).toBe('Over TLS.');
  });
});
