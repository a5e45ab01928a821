import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { GraphQLClient } from '../support/client.js';
import { startGateway, startHarness, type Harness, type TestGateway } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';

// What a WebSocket may do once open: its key is checked again before every
// operation and on a timer, its life and idleness are bounded, sockets are
// capped, and one whose client stops reading is dropped.

const LIST = '{ images(first: 1) { edges { node { id } } } }';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const started = await startGateway({ env });
  cleanups.push(async () => {
    await started.stop();
    await rm(started.dataDir, { recursive: true, force: true });
  });
  return started;
}

async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const started = await startHarness({ env });
  cleanups.push(() => started.close());
  return started;
}

/** A raw socket through the handshake: 'open', or the HTTP status the server refused it with. */
/** A graphql-ws socket, and the TCP connection under it (from the upgrade response), or the refusal's status. */
function rawSocket(url: string): Promise<{ socket?: WebSocket; tcp?: Socket; status?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    let tcp: Socket | undefined;
    socket.once('upgrade', (response) => (tcp = response.socket));
    socket.once('open', () => {
      cleanups.push(async () => socket.terminate());
      resolve({ socket, tcp });
    });
    socket.once('unexpected-response', (_req, response) => resolve({ status: response.statusCode }));
    socket.once('error', (error) => (error.message.includes('Unexpected server response') ? undefined : reject(error)));
  });
}

/** Sends connection_init and resolves with the server's first answer: 'ack', or the close code. */
function init(socket: WebSocket, authorization?: string): Promise<'ack' | number> {
  return new Promise((resolve) => {
    socket.once('message', (data) => resolve((JSON.parse(String(data)) as { type: string }).type === 'connection_ack' ? 'ack' : -1));
    socket.once('close', (code) => resolve(code));
    socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
  });
}

/** An acknowledged socket, and the promise of how it closes. */
async function connected(url: string, authorization?: string) {
  const { socket } = await rawSocket(url);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket!.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  expect(await init(socket!, authorization)).toBe('ack');
  return { socket: socket!, closed };
}

/** Starts an operation; resolves with the first message about it (next, error or complete), or 'closed'. */
function operate(socket: WebSocket, id: string, query: string): Promise<string> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { id?: string; type: string };
      if (message.id !== id) return;
      socket.off('message', onMessage);
      resolve(message.type);
    };
    socket.on('message', onMessage);
    socket.once('close', () => resolve('closed'));
    socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
  });
}

describe('keys on open sockets', () => {
  it('closes a socket with 4403 once its key is revoked, before the next operation runs', async () => {
    const g = await gateway();
    const { record, key } = await g.app.services.keys.create({ tenant: 'acme' });
    const { socket, closed } = await connected(g.server.url, `Bearer ${key}`);
    expect(await operate(socket, '1', LIST)).toBe('next');
    await g.app.services.keys.revoke(record.id);
    expect(await operate(socket, '2', LIST)).not.toBe('next');
    expect((await closed).code).toBe(4403);
  });

  it('closes a socket opened in open mode with 4401 once the first key exists', async () => {
    const g = await gateway();
    const { socket, closed } = await connected(g.server.url);
    expect(await operate(socket, '1', LIST)).toBe('next');
    await g.app.services.keys.create({ tenant: 'first' });
    expect(await operate(socket, '2', LIST)).not.toBe('next');
    expect((await closed).code).toBe(4401);
  });

  it('closes a socket that only holds a long subscription once its key is revoked', async () => {
    const h = await harness({ SHUTDOWN_GRACE_MS: '100' });
    const { record, key } = await h.gateway.app.services.keys.create({ tenant: 'holder' });
    const keyed = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
    const image = await uploadNew(keyed, { format: 'png', width: 20, height: 20 });
    h.fake.setDefaultFault({ kind: 'hang' });
    const job = await keyed.request<{ submitAnalysis: { id: string } }>('mutation($id: ID!) { submitAnalysis(input: { imageIds: [$id], questions: ["Hang?"] }) { id } }', {
      id: image.id,
    });
    const { socket, closed } = await connected(h.gateway.server.url, `Bearer ${key}`);
    socket.send(JSON.stringify({ id: 'held', type: 'subscribe', payload: { query: `subscription { jobCompleted(id: "${job.data!.submitAnalysis.id}") { status } }` } }));
    await h.gateway.app.services.keys.revoke(record.id);
    // The periodic check (every few seconds) finds it: nothing else happens on this socket.
    expect((await closed).code).toBe(4403);
    h.fake.setDefaultFault(null);
  });
});

describe('socket lifetime and idleness', () => {
  it('closes a socket after WS_MAX_LIFETIME_SECONDS even while it holds a subscription', async () => {
    const h = await harness({ WS_MAX_LIFETIME_SECONDS: '1', SHUTDOWN_GRACE_MS: '100' });
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 20, height: 20 });
    h.fake.setDefaultFault({ kind: 'hang' });
    const job = await h.gateway.client.request<{ submitAnalysis: { id: string } }>('mutation($id: ID!) { submitAnalysis(input: { imageIds: [$id], questions: ["Hang?"] }) { id } }', {
      id: image.id,
    });
    const { socket, closed } = await connected(h.gateway.server.url);
    socket.send(JSON.stringify({ id: 'held', type: 'subscribe', payload: { query: `subscription { jobCompleted(id: "${job.data!.submitAnalysis.id}") { status } }` } }));
    const { code, reason } = await closed;
    expect(code).toBe(1000);
    expect(reason).toContain('WS_MAX_LIFETIME_SECONDS');
    h.fake.setDefaultFault(null);
  });

  it('closes a socket that runs no operation for WS_IDLE_TIMEOUT_SECONDS', async () => {
    const g = await gateway({ WS_IDLE_TIMEOUT_SECONDS: '1' });
    const { socket, closed } = await connected(g.server.url);
    expect(await operate(socket, '1', LIST)).toBe('next');
    const { code, reason } = await closed;
    expect(code).toBe(1000);
    expect(reason).toContain('WS_IDLE_TIMEOUT_SECONDS');
  });
});

describe('socket caps', () => {
  it('refuses a handshake past WS_MAX_CONNECTIONS with 503, and a key’s socket past WS_MAX_CONNECTIONS_PER_KEY with 4429', async () => {
    const g = await gateway({ WS_MAX_CONNECTIONS: '3', WS_MAX_CONNECTIONS_PER_KEY: '2' });
    const { key } = await g.app.services.keys.create({ tenant: 'capped' });
    const sockets = await Promise.all([1, 2, 3].map(() => rawSocket(g.server.url)));
    expect((await rawSocket(g.server.url)).status).toBe(503);
    const outcomes = [];
    for (const { socket } of sockets) outcomes.push(await init(socket!, `Bearer ${key}`));
    expect(outcomes).toEqual(['ack', 'ack', 4429]);
  });

  it('counts connection attempts against the key’s per-minute limit', async () => {
    const g = await gateway();
    const { key } = await g.app.services.keys.create({ tenant: 'chatty', requestsPerMinute: 2 });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await init((await rawSocket(g.server.url)).socket!, `Bearer ${key}`));
    expect(outcomes).toEqual(['ack', 'ack', 4429]);
  });

  it('drops a socket whose client stopped reading once WS_MAX_BUFFERED_BYTES are waiting', { timeout: 120_000 }, async () => {
    const g = await gateway({ WS_MAX_BUFFERED_BYTES: '65536', WS_MAX_SUBSCRIPTIONS: '1000', QUERY_MAX_COST: '1000000' });
    const { socket, tcp } = await rawSocket(g.server.url);
    expect(await init(socket!)).toBe('ack');
    // graphql-ws reports each result that was still being written when the socket went, on the console.
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    cleanups.push(async () => consoleError.mockRestore());
    // Stop reading: the server's writes pile up in the kernel, then in the socket's buffer.
    tcp!.pause();
    const big = '{ __schema { types { name description fields { name description args { name description } } } } }';
    const dropped = async () => (await g.app.metrics.registry.getSingleMetricAsString('gateway_websocket_closes_total')).includes('reason="backlog"');
    // Keep asking until the server gives up on the socket (the kernel's buffers take megabytes first);
    // the deadline is only a backstop for a server that never would.
    const deadline = Date.now() + 90_000;
    for (let sent = 0; !(await dropped()) && Date.now() < deadline; ) {
      if (socket!.readyState === WebSocket.OPEN && socket!.bufferedAmount < 1_000_000) {
        for (const end = sent + 100; sent < end; sent++) socket!.send(JSON.stringify({ id: String(sent), type: 'subscribe', payload: { query: big } }));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await dropped()).toBe(true);
  });
});
