import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLErrorShape {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

export interface UploadFile {
  name: string;
  bytes: Buffer;
  type?: string;
}

type Doc<T, V> = TypedDocumentNode<T, V> | DocumentNode | string;

const source = (doc: Doc<unknown, unknown>) => (typeof doc === 'string' ? doc : print(doc));

/** A client that talks to the gateway as an app would: JSON POSTs and spec multipart uploads, over real HTTP. */
export class GraphQLClient {
  constructor(
    readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** `signal` aborts the request, closing its connection as a client that goes away does. */
  async request<T = Record<string, unknown>, V = Record<string, unknown>>(doc: Doc<T, V>, variables?: V, signal?: AbortSignal): Promise<GraphQLResponse<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers },
      body: JSON.stringify({ query: source(doc), variables }),
      signal,
    });
    return { status: response.status, ...((await response.json()) as object) };
  }

  /**
   * A GraphQL multipart request: `files` are mapped, in order, to the
   * variable paths in `paths` (e.g. "variables.file" or "variables.files.0").
   */
  async upload<T = Record<string, unknown>, V = Record<string, unknown>>(
    doc: Doc<T, V>,
    variables: V,
    files: Array<{ path: string; file: UploadFile }>,
    extraHeaders: Record<string, string> = { 'apollo-require-preflight': 'true' },
  ): Promise<GraphQLResponse<T>> {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: source(doc), variables }));
    form.append('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
    files.forEach((f, i) => form.append(String(i), new Blob([f.file.bytes], { type: f.file.type ?? 'application/octet-stream' }), f.file.name));
    const response = await fetch(this.url, { method: 'POST', headers: { ...this.headers, ...extraHeaders }, body: form });
    return { status: response.status, ...((await response.json()) as object) };
  }
}

export function errorCodes(response: GraphQLResponse<unknown>): Array<string | undefined> {
  return (response.errors ?? []).map((e) => e.extensions?.code);
}

/**
 * A graphql-ws client on the gateway's /graphql path, as a browser app would open it. Lazy by
 * default (a socket per burst of operations); `lazy: false` keeps one socket for its whole life.
 */
export function wsClient(httpUrl: string, connectionParams: Record<string, unknown> = {}, { lazy = true } = {}): WsClient {
  return createWsClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy,
  });
}

/** Runs a subscription to its end (or until `max` events) and returns every event. */
export async function collect<T>(client: WsClient, doc: Doc<T, Record<string, unknown>>, variables: Record<string, unknown>, max = 10_000): Promise<Array<GraphQLResponse<T>>> {
  const events: Array<GraphQLResponse<T>> = [];
  for await (const event of client.iterate<T>({ query: source(doc), variables })) {
    events.push({ status: 0, ...(event as object) });
    if (events.length >= max) break;
  }
  return events;
}
