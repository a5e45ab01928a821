/** Helpers for the hostile-input suite: raw HTTP, hand-built multipart bodies and images, a local origin for imports. */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import type { GraphQLErrorShape } from './client.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it was JSON. */
  json?: { data?: unknown; errors?: GraphQLErrorShape[] };
  errors?: GraphQLErrorShape[];
  data?: unknown;
}

/** Reads a fetch Response as text and (when possible) JSON. */
export async function readResponse(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let json: RawResponse['json'];
  try {
    json = JSON.parse(text) as RawResponse['json'];
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, errors: json?.errors, data: json?.data };
}

/** POSTs a body exactly as given (a string or bytes, or anything else as JSON). */
export async function rawPost(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<RawResponse> {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return readResponse(await fetch(url, { method: 'POST', headers, body: payload }));
}

export const BOUNDARY = 'HostileBoundary7MA4YWxkTrZu0gW';
export const MULTIPART_HEADERS = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'apollo-require-preflight': 'true' };

/** One multipart part; a file part when `filename` is given. */
export function part(name: string, value: string | Buffer, filename?: string): Buffer {
  const head =
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"` +
    (filename ? `; filename="${filename}"\r\nContent-Type: application/octet-stream` : '') +
    '\r\n\r\n';
  return Buffer.concat([Buffer.from(head), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\r\n')]);
}

export const closing = () => Buffer.from(`--${BOUNDARY}--\r\n`);

/** A multipart body from parts, closed unless `close` is false. */
export function multipart(parts: Buffer[], close = true): Buffer {
  return Buffer.concat(close ? [...parts, closing()] : parts);
}

const chunk = (type: string, data: Buffer): Buffer => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, bitDepth: number, colorType: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.writeUInt8(bitDepth, 8);
  data.writeUInt8(colorType, 9);
  return chunk('IHDR', data);
}

/**
 * A real decompression bomb: a valid 1-bit greyscale PNG of width×height
 * all-black pixels. 30000×30000 is ~110 KB on the wire and 900 megapixels
 * (gigabytes as RGBA) once decoded.
 */
export function pngBomb(width: number, height: number): Buffer {
  const row = 1 + Math.ceil(width / 8); // filter byte + packed bits
  const raw = Buffer.alloc(row * height); // filter 0, all zero bits
  const idat = deflateSync(raw, { level: 9 });
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 1, 0), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A PNG whose signature and IHDR (width×height RGB) are valid but whose image data is random garbage. */
export function pngWithGarbageData(width: number, height: number, garbage: Buffer): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 8, 2), chunk('IDAT', garbage), chunk('IEND', Buffer.alloc(0))]);
}

/** A PNG that is all header: signature, IHDR (width×height RGB) and IEND, with no image data at all. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 8, 2), chunk('IEND', Buffer.alloc(0))]);
}

/** Deterministic pseudo-random bytes (no Math.random: cases must be the same every run). */
export function noise(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A minimal ZIP (one stored file) — what a .docx, .jar or .zip starts with. */
export function zipFile(): Buffer {
  const name = Buffer.from('hello.txt');
  const content = Buffer.from('hello from inside a zip\n');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc32(content), 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(name.length, 26);
  return Buffer.concat([local, name, content]);
}

export function pdfFile(): Buffer {
  return Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
}

export interface Origin {
  url: string;
  port: number;
  /** Requests received, by path. */
  hits: string[];
  close(): Promise<void>;
}

/**
 * A local HTTP server for importImage: `routes` maps a path to a handler.
 * Every socket is destroyed on close, so endless and stalled responses end.
 */
export async function startOrigin(routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>): Promise<Origin> {
  const sockets = new Set<Socket>();
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push(path);
    res.on('error', () => undefined);
    const route = routes[path];
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Writes a byte every `everyMs` and never ends: a body slower than any deadline. */
export function slowBody(res: http.ServerResponse, everyMs = 200): void {
  res.writeHead(200, { 'content-type': 'image/png' });
  res.write(PNG_SIGNATURE);
  const timer = setInterval(() => res.write('x'), everyMs);
  res.on('close', () => clearInterval(timer));
}

/** Writes as fast as the client reads, forever. */
export function endlessBody(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'image/png' });
  const block = Buffer.alloc(64 * 1024, 1);
  res.write(PNG_SIGNATURE);
  const pump = () => {
    while (!res.destroyed) {
      if (!res.write(block)) return void res.once('drain', pump);
    }
  };
  pump();
}
