import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResult<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLError[];
}

/** The gateway could not be reached at all (connection refused, DNS, TLS, reset before a response). */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach the gateway at ${url}: ${describeNetworkError(cause)}`, { cause });
  }
}

/** A GraphQL request answered with errors (or with no data): carries the first error's code. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface UploadSource {
  absolutePath: string;
  mimeType: string;
}

/** Talks to the gateway as any app would: JSON POSTs, spec multipart uploads, graphql-ws. */
export class GatewayClient {
  private readonly auth: Record<string, string>;
  /** Told about waits (rate limiting), e.g. to print them above a progress bar. */
  onNotice?: (message: string) => void;

  constructor(
    readonly url: string,
    readonly apiKey: string | null,
  ) {
    this.auth = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<GraphQLResult<T>> {
    return this.send<T>({ 'content-type': 'application/json', accept: 'application/json', ...this.auth }, JSON.stringify({ query, variables }), signal);
  }

  /** Like `request`, but returns the data or throws a RequestError with the first error's code. */
  async call<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return dataOrThrow(await this.request<T>(query, variables));
  }

  /**
   * A GraphQL multipart request (graphql-multipart-request-spec) with `files`
   * mapped in order to variables.files.N. Each file is a Blob backed by the file
   * on disk, so the body is streamed, never held in memory whole.
   */
  async upload<T>(query: string, files: readonly UploadSource[]): Promise<GraphQLResult<T>> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables: { files: files.map(() => null) } }));
    form.append('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
    for (const [i, file] of files.entries()) {
      const blob = await openAsBlob(file.absolutePath, { type: file.mimeType });
      form.append(String(i), blob, path.basename(file.absolutePath));
    }
    return this.send<T>({ 'apollo-require-preflight': 'true', accept: 'application/json', ...this.auth }, form);
  }

  /** A graphql-ws client on the same path; the key travels as connectionParams.authorization. */
  webSocket(): Client {
    return createClient({
      url: this.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {},
      retryAttempts: 3, // a dropped connection resubscribes; the first event is the job's state then
      lazy: true,
    });
  }

  private async send<T>(headers: Record<string, string>, body: string | FormData, signal?: AbortSignal): Promise<GraphQLResult<T>> {
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        // A FormData of file-backed Blobs can be sent again: each attempt re-reads the files.
        response = await fetch(this.url, { method: 'POST', headers, body, signal });
      } catch (error) {
        throw new UnreachableError(this.url, error);
      }
      if (response.status !== 429 || attempt > RATE_LIMIT_RETRIES) break;
      // Rate limited (per key): wait as told, then try again.
      const seconds = retryAfterSeconds(response.headers.get('retry-after')) ?? 2 ** (attempt - 1);
      await response.body?.cancel();
      this.onNotice?.(`rate limited by the gateway: retrying in ${seconds}s`);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
    const text = await response.text();
    try {
      const parsed = JSON.parse(text) as { data?: T | null; errors?: GraphQLError[] };
      if (parsed && typeof parsed === 'object' && ('data' in parsed || 'errors' in parsed)) return { status: response.status, ...parsed };
    } catch {
      // not JSON: a proxy error page, or not a GraphQL endpoint at all
    }
    const snippet = text.trimStart().startsWith('<') ? '' : text.replace(/\s+/g, ' ').trim().slice(0, 120); // no HTML pages
    return {
      status: response.status,
      errors: [{ message: `HTTP ${response.status} ${response.statusText} from ${this.url}, not a GraphQL response${snippet ? `: ${snippet}` : ''}`, extensions: { code: `HTTP_${response.status}` } }],
    };
  }
}

const RATE_LIMIT_RETRIES = 5;
const MAX_RETRY_AFTER_SECONDS = 60;

function retryAfterSeconds(header: string | null): number | null {
  if (!header) return null;
  const seconds = /^\d+(\.\d+)?$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return null;
  return Math.min(Math.max(seconds, 0.5), MAX_RETRY_AFTER_SECONDS);
}

export function firstError(result: GraphQLResult<unknown>): { code: string; message: string } | null {
  const error = result.errors?.[0];
  if (error) return { code: error.extensions?.code ?? 'UNKNOWN', message: error.message };
  if (result.data == null) return { code: `HTTP_${result.status}`, message: `the gateway answered HTTP ${result.status} without data` };
  return null;
}

export function dataOrThrow<T>(result: GraphQLResult<T>): T {
  const error = firstError(result);
  if (error || result.data == null) throw new RequestError(error?.message ?? 'no data', error?.code ?? 'UNKNOWN');
  return result.data;
}

function describeNetworkError(error: unknown): string {
  // fetch wraps the system error: "fetch failed" with cause ECONNREFUSED and the like.
  const cause = error instanceof Error ? ((error.cause as (Error & { code?: string }) | undefined) ?? error) : undefined;
  if (!cause) return String(error);
  const code = (cause as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is it running? start it with `npm start`, or pass --url)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'the connection was reset';
  if (cause.name === 'AbortError') return 'timed out';
  return code ? `${code} ${cause.message}` : cause.message;
}
