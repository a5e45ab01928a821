/**
 * B2's floors: what a second hop alone adds on this machine, in three
 * steps, chosen by BARE_PROXY_CLIENT:
 * - `fetch` (the default): a node:http server that reads a request's body
 *   and sends it, as it is, to UPSTREAM_URL with the same path through
 *   global fetch, as the gateway's OpenAI SDK does, then answers with the
 *   upstream's status and body;
 * - `http`: the same, with node:http's own client and a keep-alive agent
 *   instead of fetch;
 * - `tcp`: no HTTP at all, a node:net relay piping each connection to
 *   UPSTREAM_URL's host and port (paths pass through unchanged).
 * No parsing, no checks, no storage: the steps between them are the cost of
 * HTTP and of fetch themselves, which the gateway pays as well.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Server, type Socket } from 'node:net';

const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1');
const client = process.env.BARE_PROXY_CLIENT ?? 'fetch';

/** The request's body, whole. */
function bodyOf(req: IncomingMessage, then: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => then(Buffer.concat(chunks)));
}

const forwardedHeaders = (req: IncomingMessage) => ({ 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' });

function reply(res: ServerResponse, status: number, contentType: string | undefined, body: Buffer): void {
  res.writeHead(status, { 'content-type': contentType ?? 'application/json', 'content-length': body.length }).end(body);
}

function viaFetch(req: IncomingMessage, res: ServerResponse): void {
  bodyOf(req, (body) => {
    fetch(`${upstream.href.replace(/\/$/, '')}${req.url ?? ''}`, { method: req.method, headers: forwardedHeaders(req), body: req.method === 'POST' ? body : undefined }).then(
      async (answer) => reply(res, answer.status, answer.headers.get('content-type') ?? undefined, Buffer.from(await answer.arrayBuffer())),
      () => res.writeHead(502).end(),
    );
  });
}

const agent = new Agent({ keepAlive: true });
function viaHttp(req: IncomingMessage, res: ServerResponse): void {
  bodyOf(req, (body) => {
    const path = `${upstream.pathname.replace(/\/$/, '')}${req.url ?? ''}`;
    const outgoing = httpRequest({ host: upstream.hostname, port: upstream.port, path, method: req.method, headers: { ...forwardedHeaders(req), 'content-length': body.length }, agent }, (answer) => {
      bodyOf(answer, (answerBody) => reply(res, answer.statusCode ?? 502, answer.headers['content-type'], answerBody));
    });
    outgoing.on('error', () => res.writeHead(502).end());
    outgoing.end(body);
  });
}

/** The relay's sockets, destroyed on stop: a net server, unlike an HTTP one, waits for idle keep-alive connections to close. */
const relayed = new Set<Socket>();
function tcpRelay(): Server {
  return createTcpServer((downstream) => {
    const up = connect(Number(upstream.port), upstream.hostname);
    for (const socket of [downstream, up]) {
      relayed.add(socket);
      socket.once('close', () => relayed.delete(socket));
    }
    downstream.setNoDelay(true);
    up.setNoDelay(true);
    downstream.pipe(up).pipe(downstream);
    const close = () => {
      downstream.destroy();
      up.destroy();
    };
    up.on('error', close);
    downstream.on('error', close);
  });
}

const server = client === 'tcp' ? tcpRelay() : createServer(client === 'http' ? viaHttp : viaFetch);
server.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () => {
  server.close(() => process.exit(0));
  for (const socket of relayed) socket.destroy();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
