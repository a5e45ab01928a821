import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A webhook request as the receiver got it: headers lower-cased, the body as sent. */
export interface ReceivedHook {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * How the receiver answers one request: a status, a redirect, a status once
 * `after` resolves (the test looks at the gateway meanwhile), or never ('hang').
 */
export type Answer = number | 'hang' | { redirect: string } | { after: Promise<unknown>; status: number };

/** An HTTP server on 127.0.0.1 that records webhook requests and answers them as told (200 when not told). */
export interface WebhookReceiver {
  /** host:port, for WEBHOOK_ALLOWED_HOSTS. */
  host: string;
  url(path?: string): string;
  requests: ReceivedHook[];
  /** Answers for the next requests, in order. */
  answer(...answers: Answer[]): void;
  /** Resolves with the nth request (1 = the first ever), once it has arrived. */
  received(n: number): Promise<ReceivedHook>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedHook[] = [];
  const answers: Answer[] = [];
  const waiters: Array<{ n: number; resolve: (hook: ReceivedHook) => void }> = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const hook = { path: req.url ?? '/', headers: req.headers as Record<string, string>, body };
      requests.push(hook);
      for (const waiter of waiters.filter((w) => w.n === requests.length)) waiter.resolve(hook);
      void respond(res, answers.shift() ?? 200);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: (path = '/hook') => `http://${host}${path}`,
    requests,
    answer: (...more) => answers.push(...more),
    received: (n) => (requests[n - 1] ? Promise.resolve(requests[n - 1]!) : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function respond(res: http.ServerResponse, answer: Answer): Promise<void> {
  if (answer === 'hang') return;
  if (typeof answer === 'number') return void res.writeHead(answer).end();
  if ('redirect' in answer) return void res.writeHead(302, { location: answer.redirect }).end();
  await answer.after;
  res.writeHead(answer.status).end();
}
