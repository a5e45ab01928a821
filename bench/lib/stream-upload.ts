/**
 * A GraphQL multipart upload (the spec the gateway implements) whose file part
 * is streamed from disk over node:http with a known Content-Length. The
 * client never holds a file in memory, so the process's RSS during the upload
 * benchmark reflects the gateway (which shares the process), not the client.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface StreamUploadResult {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

export async function streamUpload(
  url: string,
  query: string,
  file: { path: string; bytes: number; type: string },
  options: { agent: http.Agent; timeoutMs: number },
): Promise<StreamUploadResult> {
  const target = new URL(url);
  const boundary = `----gatewayBench${randomBytes(8).toString('hex')}`;
  const operations = JSON.stringify({ query, variables: { file: null } });
  const map = JSON.stringify({ 0: ['variables.file'] });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\nContent-Type: application/json\r\n\r\n${operations}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\nContent-Type: application/json\r\n\r\n${map}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${path.basename(file.path)}"\r\nContent-Type: ${file.type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);

  const request = http.request({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'POST',
    agent: options.agent,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + file.bytes + tail.length),
      'apollo-require-preflight': 'true',
    },
  });
  request.setTimeout(options.timeoutMs, () => request.destroy(new Error(`upload of ${file.path} timed out after ${options.timeoutMs} ms`)));

  const response = new Promise<StreamUploadResult>((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as StreamUploadResult['body'] });
        } catch {
          reject(new Error(`upload answered HTTP ${res.statusCode} with a non-JSON body: ${text.slice(0, 200)}`));
        }
      });
    });
  });

  async function* body() {
    yield head;
    for await (const chunk of createReadStream(file.path, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
    yield tail;
  }
  // A server that answers early (an error) may close before the body is sent: its answer is what counts.
  const sent = pipeline(body, request).catch((error: unknown) => error);
  const result = await response;
  await sent;
  return result;
}
