/**
 * B5's yardstick: a node:http server that streams each request's body to a
 * new file, whole, and answers with a GraphQL-shaped `{"data":{}}`. No
 * parsing, no checks, no storage beyond the file. The uploads scenario runs it
 * in its own process (`SINK_DIR`, `PORT`) and, with `uploadSink`, inside the
 * benchmark's process.
 */
import { createWriteStream, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';

/** A server writing each POST body to a new file in `dir` (0, 1, 2, …); anything else answers 200 at once (the readiness probe). */
export function uploadSink(dir: string): Server {
  let count = 0;
  return createServer((req, res) => {
    if (req.method !== 'POST') {
      res.end();
      return;
    }
    void pipeline(req, createWriteStream(path.join(dir, String(count++)))).then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}'));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = uploadSink(process.env.SINK_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'upload-sink-'))).listen(Number(process.env.PORT), '127.0.0.1');
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
