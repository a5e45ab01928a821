import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * The fetch beneath the OpenAI SDK: one request on node:http(s), through
 * Node's own keep-alive agents, its reply handed back as a web Response.
 *
 * Why not global fetch: undici's fetch builds Request and Headers objects,
 * clones the body and writes it through a web stream, and reads the reply
 * through another. That was about 1 ms of every upstream call's time in the
 * gateway, measured in alternating B2 runs (docs/performance.md), for an
 * exchange that is one JSON body out and one back. Why not a library:
 * node-fetch 3 measured about half that gain and brings its own Body, Blob
 * and stream polyfills; undici's `request` would still need this adapter.
 *
 * What it does not do itself it leaves to global fetch, unchanged: a body
 * other than text or bytes, a `redirect` mode other than "follow", and a
 * redirect (the request is sent again through fetch, which follows it).
 * Like fetch it rejects with the signal's reason when aborted and with a
 * TypeError("fetch failed", { cause }) when the connection fails, so the
 * SDK classifies both as before. It asks for no compression; a reply
 * compressed anyway is decoded as fetch would.
 */
export const httpFetch: typeof fetch = async (input, init = {}) => {
  const { body } = init;
  const url = input instanceof Request ? null : new URL(String(input));
  const plainBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
  if (!url || !plainBody || (init.redirect ?? 'follow') !== 'follow' || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fetch(input, init);
  const reply = await exchange(url, init, body ?? undefined);
  return reply ?? fetch(input, init);
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses whose Response may not carry a body. */
const NO_BODY = new Set([204, 205, 304]);

/** The reply as a Response; null for a redirect, whose body is drained. */
function exchange(url: URL, init: RequestInit, body: string | Uint8Array | undefined): Promise<Response | null> {
  const { signal } = init;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const failed = (error: unknown) => reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, { method: init.method ?? 'GET', headers: headerRecord(init.headers), ...(signal ? { signal } : {}) }, (reply) => {
      const status = reply.statusCode ?? 502;
      if (REDIRECTS.has(status) && reply.headers.location) {
        reply.resume();
        resolve(null);
        return;
      }
      const headers = new Headers();
      for (let i = 0; i < reply.rawHeaders.length; i += 2) headers.append(reply.rawHeaders[i]!, reply.rawHeaders[i + 1]!);
      const options = { status, statusText: reply.statusMessage ?? '', headers };
      if (NO_BODY.has(status) || init.method === 'HEAD') {
        reply.resume();
        resolve(new Response(null, options));
        return;
      }
      const content = decoded(reply, failed);
      // A stream of events is handed over as it arrives; anything else is read whole first, as the SDK would.
      if (/^text\/event-stream\b/i.test(reply.headers['content-type'] ?? '')) {
        resolve(new Response(Readable.toWeb(content) as ReadableStream<Uint8Array>, options));
        return;
      }
      const chunks: Buffer[] = [];
      content.on('data', (chunk: Buffer) => chunks.push(chunk));
      content.on('end', () => resolve(new Response(Buffer.concat(chunks), options)));
      content.on('error', failed);
      content.on('close', () => {
        if (!content.readableEnded) failed(new Error('the reply ended before its body did'));
      });
    });
    request.on('error', failed);
    request.end(body);
  });
}

/** The reply's body, decoded when the server compressed it although it was not asked to. */
function decoded(reply: IncomingMessage, failed: (error: unknown) => void): Readable {
  const encoding = (reply.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : encoding === 'br' ? zlib.createBrotliDecompress() : null;
  if (!decoder) return reply;
  return pipeline(reply, decoder, (error) => {
    if (error) failed(error);
  });
}

/** The request's headers as node:http takes them (Headers joins repeated names as fetch sends them). */
function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const record: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    record[name] = value;
  });
  return record;
}
