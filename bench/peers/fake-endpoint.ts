/**
 * The fake Qwen endpoint as a process of its own, for B2: in the benchmark's
 * process it would share an event loop with the load generator and make the
 * added-latency figure noisy. Listens on PORT for control requests and runs
 * the fake itself on an ephemeral port:
 *   GET  /state          {"url": <the fake's base URL>, "requests": <count so far>}
 *   POST /delay?ms=200   every reply waits this long
 */
import { createServer } from 'node:http';
import { startFakeQwen } from '../../test/fake-qwen/index.js';

const fake = await startFakeQwen({ apiKey: process.env.FAKE_API_KEY ?? '' });
const control = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://control');
  if (req.method === 'GET' && url.pathname === '/state') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: fake.url, requests: fake.requests.length }));
  } else if (req.method === 'POST' && url.pathname === '/delay') {
    fake.setDelay(Number(url.searchParams.get('ms') ?? 0));
    res.writeHead(204).end();
  } else {
    res.writeHead(404).end();
  }
});
control.listen(Number(process.env.PORT), '127.0.0.1');
const stop = () => control.close(() => void fake.close().then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
