import type { ClientRequest, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { GatewayError } from '../../platform/errors.js';
import { systemResolver, type HostResolver, type RefuseAddress } from './guarded-lookup.js';
import { connectionFailure, guardedRequest } from './guarded-request.js';
import { hostOf, isAllowedHost, originOf, parseImportUrl, portOf } from './import-url.js';

export interface UrlImportOptions {
  /** Hosts (`host` or `host:port`, lowercase) exempt from the address check: IMPORT_ALLOWED_HOSTS. */
  allowedHosts: string[];
  /** For the whole fetch: connect, headers, redirects and body. */
  timeoutMs: number;
  maxRedirects: number;
  /** The body is cut off (PAYLOAD_TOO_LARGE) once it grows past this. */
  maxBytes: number;
  /** Resolves host names in place of the system resolver (dns.lookup); a seam for tests. */
  lookup?: HostResolver;
}

export interface RemoteImage {
  /** The response body. Fails with a GatewayError past maxBytes, past the deadline or when the connection breaks. */
  stream: Readable;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const REQUEST_HEADERS = {
  accept: 'image/*, */*;q=0.5',
  // Counted bytes are wire bytes: ask for no compression (the gateway would not inflate it anyway).
  'accept-encoding': 'identity',
  'user-agent': 'qwen-vl-gateway-image-import',
};

/**
 * Opens the body of an http(s) URL as a byte stream, or throws a GatewayError.
 *
 * SSRF: every hop's scheme is checked, and every address connected to is
 * checked at connect time (see guardedLookup), unless the hop's host is in
 * `allowedHosts`. Requests carry no cookies or credentials and use a fresh
 * connection (no pooling), so nothing is shared between hops or imports.
 *
 * The deadline covers the body too: a consumer that reads slowly, or a server
 * that sends slowly, gets the stream destroyed with a GatewayError.
 */
export async function openRemoteImage(input: string, options: UrlImportOptions): Promise<RemoteImage> {
  let url = parseImportUrl(input);
  const deadline = new Deadline(options.timeoutMs);
  try {
    for (let redirects = 0; ; redirects += 1) {
      const response = await request(url, redirects > 0, options, deadline);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        response.destroy();
        if (redirects >= options.maxRedirects) {
          throw badInput(`The URL redirected more than ${options.maxRedirects} times (IMPORT_MAX_REDIRECTS); the last redirect came from ${originOf(url)}.`);
        }
        url = parseImportUrl(location, url);
        continue;
      }
      if (status < 200 || status > 299) {
        response.destroy();
        const detail = REDIRECT_STATUSES.has(status) ? ' without a Location header' : '';
        throw new GatewayError('BAD_USER_INPUT', `The URL answered HTTP ${status}${detail} (from ${originOf(url)}); only a successful (2xx) response can be imported.`, {
          extensions: { upstreamStatus: status },
        });
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        response.destroy();
        throw tooLarge(url, options.maxBytes, declared);
      }
      return { stream: meteredBody(response, url, options.maxBytes, deadline) };
    }
  } catch (error) {
    deadline.clear();
    throw error;
  }
}

/** One GET; resolves with the response head. */
function request(url: URL, redirected: boolean, options: UrlImportOptions, deadline: Deadline): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const refuse: RefuseAddress | undefined = isAllowedHost(url, options.allowedHosts) ? undefined : (address, range) => forbidden(url, redirected, address, range);
    let req: ClientRequest;
    try {
      req = guardedRequest(url, { method: 'GET', headers: REQUEST_HEADERS }, options.lookup ?? systemResolver, refuse);
    } catch (error) {
      return reject(connectionError(error as Error, url));
    }
    req.on('error', (error) => reject(connectionError(error, url)));
    req.on('response', resolve);
    deadline.onExpire((error) => req.destroy(error));
    req.end();
  });
}

/**
 * The response body, counted as it streams. It only starts flowing when read,
 * and an error that happens before anyone reads is kept (`errored`) and thrown
 * to the first reader rather than crashing the process as an unhandled 'error'.
 */
function meteredBody(response: IncomingMessage, url: URL, maxBytes: number, deadline: Deadline): Readable {
  let received = 0;
  let started = false;
  const body = new Readable({
    read() {
      if (!started) {
        started = true;
        response.on('data', onData);
      }
      response.resume();
    },
    destroy(error, callback) {
      deadline.clear();
      response.destroy();
      callback(error);
    },
  });
  function onData(chunk: Buffer) {
    received += chunk.length;
    // Stop at the cap: the socket is closed, an endless body is not drained.
    if (received > maxBytes) body.destroy(tooLarge(url, maxBytes));
    else if (!body.push(chunk)) response.pause();
  }
  response.on('end', () => {
    deadline.clear();
    body.push(null);
  });
  response.on('error', (error) => body.destroy(broken(url, error)));
  response.on('close', () => {
    if (!response.complete) body.destroy(broken(url));
  });
  body.on('error', () => {});
  deadline.onExpire((error) => body.destroy(error));
  return body;
}

/** One timer for the whole import; whatever is in flight when it fires is destroyed with the timeout error. */
class Deadline {
  private readonly timer: NodeJS.Timeout;
  private expired: GatewayError | undefined;
  private handler: ((error: GatewayError) => void) | undefined;

  constructor(private readonly ms: number) {
    this.timer = setTimeout(() => {
      this.expired = badInput(`The remote server did not send the image within ${this.ms} ms (IMPORT_TIMEOUT_MS).`);
      this.handler?.(this.expired);
    }, ms);
  }

  onExpire(handler: (error: GatewayError) => void): void {
    this.handler = handler;
    if (this.expired) handler(this.expired);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.handler = undefined;
  }
}

function forbidden(url: URL, redirected: boolean, address: string, range: string): GatewayError {
  const host = hostOf(url);
  const subject = redirected ? `The URL redirected to host "${url.host}", which` : `The URL's host "${url.host}"`;
  const verb = isIP(host) ? 'is' : 'resolves to';
  return new GatewayError(
    'FORBIDDEN',
    `${subject} ${verb} an address that is not publicly routable: ${range}. ` +
      `An operator can allow a trusted host by adding "${url.hostname}" or "${url.hostname}:${portOf(url)}" to IMPORT_ALLOWED_HOSTS.`,
    // The address goes to logs through the cause, not to the client.
    { cause: new Error(`refused to connect to ${address} (${range}) for ${url.host}`) },
  );
}

function tooLarge(url: URL, maxBytes: number, declared?: number): GatewayError {
  const size = declared === undefined ? 'larger than' : `${declared} bytes, over`;
  return new GatewayError('PAYLOAD_TOO_LARGE', `The image at ${originOf(url)} is ${size} the ${maxBytes}-byte limit (MAX_UPLOAD_BYTES).`);
}

function broken(url: URL, cause?: Error): GatewayError {
  return badInput(`The connection to ${originOf(url)} broke before the whole image arrived.`, cause);
}

function connectionError(error: Error, url: URL): GatewayError {
  if (error instanceof GatewayError) return error;
  return badInput(`Could not fetch the image from ${originOf(url)}: ${connectionFailure(error)}.`, error);
}

function badInput(message: string, cause?: unknown): GatewayError {
  return new GatewayError('BAD_USER_INPUT', message, cause === undefined ? {} : { cause });
}
