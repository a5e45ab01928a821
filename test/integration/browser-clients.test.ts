import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { JobCompletedDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import { collect, errorCodes, wsClient } from '../support/client.js';
import { startGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { openSubscription } from '../support/subscriptions.js';

// What a web app on another origin meets: CORS, the WebSocket Origin check,
// error bodies Apollo Client can read, fields that fail alone, fresh subscription events.

const APP_ORIGIN = 'http://localhost:5173';
/** What Apollo Client 4 sends. */
const APOLLO_ACCEPT = 'application/graphql-response+json,application/json;q=0.9';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { CORS_ORIGINS: `${APP_ORIGIN}, https://app.example.com` } });
});
afterAll(() => h.close());

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization,apollo-require-preflight,x-apollo-operation-name',
    },
  });

describe('CORS', () => {
  it('answers a preflight from a listed origin with 204 and the headers browsers need', async () => {
    const response = await preflight(h.gateway.server.url, APP_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('vary')).toMatch(/origin/i);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = response.headers.get('access-control-allow-headers')!.split(',');
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name']));
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
  });

  it('lets the listed origin read the answer to the real request', async () => {
    const response = await fetch(h.gateway.server.url, {
      method: 'POST',
      headers: { origin: APP_ORIGIN, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ images(first: 1) { pageInfo { hasNextPage } } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('gives an unlisted origin no CORS header at all, preflight or not', async () => {
    const response = await preflight(h.gateway.server.url, 'https://evil.example');
    expect(response.status).not.toBe(204);
    const cors = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
    expect(cors).toEqual([]);
    const post = await fetch(h.gateway.server.url, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ images(first: 1) { pageInfo { hasNextPage } } }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('tells a page of an unlisted origin to add it to CORS_ORIGINS, whatever it sends (not a CSRF message)', async () => {
    const foreign = 'https://unlisted.example';
    const read = JSON.stringify({ query: '{ images(first: 1) { pageInfo { hasNextPage } } }' });
    const attempts = [
      preflight(h.gateway.server.url, foreign),
      // What a plain fetch() sends: a text/plain "simple" request, which CSRF prevention used to answer.
      fetch(h.gateway.server.url, { method: 'POST', headers: { origin: foreign, 'content-type': 'text/plain' }, body: read }),
      fetch(h.gateway.server.url, { method: 'POST', headers: { origin: foreign, 'content-type': 'application/json', accept: APOLLO_ACCEPT }, body: read }),
      fetch(`${h.gateway.server.url}?query=${encodeURIComponent('{ images(first: 1) { totalCount } }')}`, { headers: { origin: foreign } }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
      expect(body.errors.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
      expect(body.errors[0]!.message).toContain(`"${foreign}"`);
      expect(body.errors[0]!.message).toMatch(/CORS_ORIGINS/);
      expect(body.errors[0]!.message).not.toMatch(/CSRF/i);
    }
    // The gateway's own pages (the console, GraphiQL) are no foreign origin.
    const own = await fetch(h.gateway.server.url, { method: 'POST', headers: { origin: new URL(h.gateway.server.url).origin, 'content-type': 'application/json' }, body: read });
    expect(own.status).toBe(200);
  });

  it('sends no CORS headers when CORS_ORIGINS is not set', async () => {
    const plain = await startGateway();
    try {
      const response = await preflight(plain.server.url, APP_ORIGIN);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.stop();
    }
  });

  it('keeps CSRF prevention on: a simple GET cannot run an operation', async () => {
    const response = await fetch(`${h.gateway.server.url}?query=${encodeURIComponent('{ images(first: 1) { pageInfo { hasNextPage } } }')}`, {
      headers: { origin: APP_ORIGIN, accept: APOLLO_ACCEPT },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/graphql-response+json');
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });
});

describe('GET requests', () => {
  const get = (query: string, variables: Record<string, unknown>) =>
    fetch(`${h.gateway.server.url}?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`, { headers: { 'apollo-require-preflight': 'true', accept: APOLLO_ACCEPT } });

  it('run reads of stored data, but never an operation that can spend model tokens', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 26, height: 19 });
    const read = await get('query($id: ID!) { image(id: $id) { id captions { text } } }', { id: image.id });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ data: { image: { id: image.id, captions: [] } } });

    const asked = h.fake.requests.length;
    const spend = await get('query($id: ID!) { image(id: $id) { caption { text } } }', { id: image.id });
    expect(spend.status).toBe(405);
    expect(await spend.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    expect(h.fake.requests).toHaveLength(asked);
  });
});

/** Opens a raw WebSocket handshake and reports how the server answered it. */
function handshake(url: string, headers: Record<string, string>): Promise<{ status: number; contentType?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101, body: '' });
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }));
    });
    socket.once('error', (error) => (error.message.includes('Unexpected server response') ? undefined : reject(error)));
  });
}

describe('WebSocket Origin check', () => {
  it('refuses a handshake from a foreign origin with 403 before upgrading', async () => {
    const refused = await handshake(h.gateway.server.url, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.contentType).toContain('application/json');
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('FORBIDDEN');
    expect(JSON.parse(refused.body).errors[0].message).toMatch(/CORS_ORIGINS/);
  });

  it('accepts listed origins, the gateway’s own origin, and clients that send no Origin', async () => {
    const own = new URL(h.gateway.server.url).origin;
    for (const headers of [{ origin: APP_ORIGIN }, { origin: own }, {}] as Array<Record<string, string>>) {
      expect((await handshake(h.gateway.server.url, headers)).status).toBe(101);
    }
  });

  it('runs subscriptions for a listed origin end to end', async () => {
    const client = wsClient(h.gateway.server.url);
    try {
      const events = await collect(client, JobCompletedDocument, { id: 'no-such-job' });
      expect(errorCodes(events[0]!)).toEqual(['NOT_FOUND']);
    } finally {
      await client.dispose();
    }
  });
});

describe('error bodies', () => {
  it('uses application/graphql-response+json when the client accepts it, application/json otherwise', async () => {
    const tooBig = JSON.stringify({ query: `{ images { pageInfo { hasNextPage } } } # ${'x'.repeat(1_100_000)}` });
    const send = (accept?: string) =>
      fetch(h.gateway.server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) }, body: tooBig });
    const modern = await send(APOLLO_ACCEPT);
    expect(modern.status).toBe(413);
    expect(modern.headers.get('content-type')).toContain('application/graphql-response+json');
    expect(await modern.json()).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    const legacy = await send();
    expect(legacy.headers.get('content-type')).toContain('application/json');
  });

  it('answers unknown paths with a coded JSON 404', async () => {
    const response = await fetch(new URL('/no/such/page', h.gateway.server.url), { headers: { accept: APOLLO_ACCEPT } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
  });

  it('names the file limit when a multipart request carries too many files', async () => {
    const response = await h.gateway.client.upload(
      'mutation($files: [Upload!]!) { uploadImages(files: $files) { id } }',
      { files: Array(21).fill(null) },
      Array.from({ length: 21 }, (_, i) => ({ path: `variables.files.${i}`, file: { name: `${i}.png`, bytes: Buffer.from('x') } })),
    );
    expect(response.status).toBe(413);
    expect(errorCodes(response)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(response.errors![0]!.message).toMatch(/at most 20 .*MAX_UPLOAD_FILES/);
  });
});

describe('fields that fail alone', () => {
  it('nulls only the failing model field, with its error at its own path', async () => {
    const unconfigured = await startGateway();
    try {
      const image = await uploadNew(unconfigured.client, { format: 'png', width: 40, height: 30 });
      const response = await unconfigured.client.request('query($id: ID!) { image(id: $id) { id width caption { text } answer(question: "Why?") { answer } } }', { id: image.id });
      expect(response.data).toEqual({ image: { id: image.id, width: 40, caption: null, answer: null } });
      expect(response.errors!.map((e) => [e.path, e.extensions?.code])).toEqual(
        expect.arrayContaining([
          [['image', 'caption'], 'MODEL_NOT_CONFIGURED'],
          [['image', 'answer'], 'MODEL_NOT_CONFIGURED'],
        ]),
      );
    } finally {
      await unconfigured.stop();
    }
  });
});

describe('subscription events', () => {
  const JOB_WITH_RESULTS = `subscription($id: ID!) { jobUpdated(id: $id) { status done total questions { answer image { id } } items { status } } }`;

  it('reads fresh rows for every event: the final one lists every answer and final item status', async () => {
    const images = await Promise.all([1, 2, 3].map((n) => uploadNew(h.gateway.client, { format: 'png', width: 20 + n, height: 20 })));
    // Nothing is answered until the subscriber has its first event: it sees the job before its end.
    h.fake.holdReplies();
    try {
      const submitted = await h.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: images.map((i) => i.id), questions: ['Fresh?'] } });
      const client = wsClient(h.gateway.server.url);
      type Event = { status: string; done: number; total: number; questions: Array<{ answer: string }>; items: Array<{ status: string }> };
      const subscription = openSubscription(client, parse(JOB_WITH_RESULTS) as TypedDocumentNode<{ jobUpdated: Event }, { id: string }>, { id: submitted.data!.submitAnalysis.id });
      const first = await subscription.next();
      h.fake.releaseReplies();
      const events = [first, ...(await subscription.rest())].map((e) => e.data!.jobUpdated);
      await client.dispose();
      expect(events.length).toBeGreaterThan(1);
      const final = events.at(-1)!;
      expect(final).toMatchObject({ status: 'SUCCEEDED', done: 3, total: 3 });
      expect(final.questions).toHaveLength(3);
      expect(final.items.map((i) => i.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      // Each event's items are at least as far along as its own progress counter.
      for (const event of events) expect(event.items.filter((i) => i.status === 'SUCCEEDED').length).toBeGreaterThanOrEqual(event.done);
    } finally {
      h.fake.releaseReplies();
    }
  });
});
