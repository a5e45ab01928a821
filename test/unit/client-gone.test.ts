import { once } from 'node:events';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { responseGone } from '../../src/platform/http/client-gone.js';

// The client's signal is made only when asked for; asked late, it still says whether the client left.

let server: http.Server | undefined;
afterEach(() => server?.close());

/** A real request whose response the test holds: `hangUp` closes the client's socket before any answer. */
async function heldResponse(): Promise<{ res: ServerResponse; hangUp: () => Promise<void>; finish: () => Promise<void> }> {
  server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const arrived = once(server, 'request') as Promise<[http.IncomingMessage, ServerResponse]>;
  const request = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, agent: false });
  request.on('error', () => {});
  const [, res] = await arrived;
  return {
    res,
    hangUp: async () => {
      request.destroy();
      await once(res, 'close');
    },
    finish: async () => {
      const closed = once(res, 'close');
      const response = once(request, 'response');
      res.end('done');
      const [incoming] = (await response) as [http.IncomingMessage];
      incoming.resume();
      await closed;
    },
  };
}

describe('responseGone', () => {
  it('makes an aborted signal when asked after the client left', async () => {
    const { res, hangUp } = await heldResponse();
    const gone = responseGone(res);
    await hangUp();
    const signal = gone();
    expect(signal.aborted).toBe(true);
    expect(gone()).toBe(signal);
  });

  it('aborts a signal asked for before the client leaves', async () => {
    const { res, hangUp } = await heldResponse();
    const signal = responseGone(res)();
    expect(signal.aborted).toBe(false);
    await hangUp();
    expect(signal.aborted).toBe(true);
  });

  it('never aborts once the answer was written, asked before or after', async () => {
    const { res, finish } = await heldResponse();
    const gone = responseGone(res);
    const early = gone();
    await finish();
    expect(early.aborted).toBe(false);
    expect(gone().aborted).toBe(false);
  });
});
