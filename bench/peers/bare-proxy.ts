/**
 * B2's floor: the least any gateway in Node adds. A node:http server that
 * reads a request's body and sends it, as it is, to UPSTREAM_URL with the
 * same path (global fetch, as the gateway's OpenAI SDK does), then answers
 * with the upstream's status and body. No parsing, no checks, no storage:
 * what it adds over a direct call is the second HTTP hop itself.
 */
import { createServer } from 'node:http';

const upstream = process.env.UPSTREAM_URL ?? '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void fetch(`${upstream}${req.url ?? ''}`, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
      body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    }).then(
      async (reply) => {
        const body = Buffer.from(await reply.arrayBuffer());
        res.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'application/json', 'content-length': body.length }).end(body);
      },
      () => res.writeHead(502).end(),
    );
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
