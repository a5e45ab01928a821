import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import { context as traceContext } from '@opentelemetry/api';
import express from 'express';
import type { CallerIdentity, OperationContext } from '../gateway.js';
import type { Logger } from '../logger.js';
import type { QueryLimits } from '../graphql/limits/query-limits.js';
import { checkOperationSize, DOCUMENT_BYTES } from '../graphql/operation-size.js';
import type { TrustedDocuments } from '../graphql/trusted-documents.js';
import { applyTrustedDocuments } from '../graphql/trusted-documents-http.js';
import { startRequestSpan } from '../tracing/request-spans.js';
import type { AllowedHosts } from './allowed-hosts.js';
import type { BrowserOrigins } from './browser-origins.js';
import { wantsPage } from './explorer-route.js';
import { sendRequestError, sendTransportError, transportError } from './json-errors.js';
import { runInRequest, type RequestScope } from './request-context.js';
import { startRequestLog } from './request-logging.js';

export interface GraphqlRouteOptions<Caller extends CallerIdentity> {
  apollo: ApolloServer<OperationContext<Caller>>;
  logger: Logger;
  tracing: boolean;
  hosts: AllowedHosts;
  origins: BrowserOrigins;
  trusted: TrustedDocuments;
  limits: QueryLimits;
  /** Authenticates and admits the caller, before the body is read; undefined when refused (and answered). */
  admit(req: IncomingMessage, res: ServerResponse): Promise<Caller | undefined>;
  /** Reads a multipart (upload) body; undefined when refused (and answered). */
  readUploads(req: IncomingMessage, res: ServerResponse): Promise<unknown>;
  contextFor(caller: Caller, req: IncomingMessage, res: ServerResponse): OperationContext<Caller>;
}

export interface GraphqlRoute {
  /** Whether this route answers the request: /graphql, except a browser's GET for the explorer page (an Express route). */
  serves(req: IncomingMessage): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

const searchOf = (url: string) => {
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start);
};

const pathOf = (url: string) => {
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
};

/** Whether a request's body is multipart/form-data (an upload), by its Content-Type. */
const isMultipart = (req: IncomingMessage) => /^multipart\/form-data\s*(;|$)/i.test(req.headers['content-type'] ?? '');

function headersOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

async function writeResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.setHeader('Content-Length', Buffer.byteLength(response.body.string));
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * GraphQL over HTTP at /graphql on plain node:http, Apollo Server's
 * `executeHTTPGraphQLRequest` behind the gateway's own checks, each once per
 * request and in this order: the log line (and the request's span when
 * tracing is on), the Host allow-list, CORS and the browser-origin check,
 * authentication and the request rate limit (before the body is read), the
 * body (JSON, or multipart uploads), trusted documents, the document's size.
 * No Express on this route, the hot one: its router, request and response
 * decorations and middleware chain were a seventh of a cached answer's CPU.
 * The side routes (console, images, exports, health) stay on Express beside it.
 */
export function graphqlRoute<Caller extends CallerIdentity>(options: GraphqlRouteOptions<Caller>): GraphqlRoute {
  const { apollo, hosts, origins } = options;
  // Express's own JSON parser (body-parser), run on the plain request: the same limits, encodings and errors as before.
  const parseJson = express.json({ limit: DOCUMENT_BYTES });
  const readJson = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<unknown>((resolve, reject) => parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve((req as { body?: unknown }).body))));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (hosts.refuse(req, res) || origins.applyCors(req, res) || origins.refuseUnlisted(req, res)) return;
    const caller = await options.admit(req, res);
    if (!caller) return;
    let body: unknown;
    if (isMultipart(req)) {
      body = await options.readUploads(req, res);
      if (body === undefined) return;
    } else {
      body = await readJson(req, res);
    }
    const request = applyTrustedDocuments(options.trusted, { method: req.method ?? 'GET', search: searchOf(req.url ?? ''), body });
    if ('refused' in request) return sendRequestError(req, res, request.error);
    const tooLarge = checkOperationSize(options.limits, request);
    if (tooLarge) return sendRequestError(req, res, tooLarge.error);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method.toUpperCase(), headers: headersOf(req), search: request.search, body: request.body },
      context: async () => options.contextFor(caller, req, res),
    });
    await writeResponse(res, response);
  }

  /** A body the parser refused (413, malformed JSON) is the client's 4xx; anything else is logged and answered 500. */
  function failed(scope: RequestScope, req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (!transportError(error)) scope.log.error({ err: error }, 'unexpected error serving /graphql');
    if (res.headersSent) res.destroy();
    else sendTransportError(req, res, error);
  }

  return {
    serves: (req) => {
      const path = pathOf(req.url ?? '');
      return (path === '/graphql' || path === '/graphql/') && !(req.method === 'GET' && wantsPage(req));
    },
    serve: (req, res) => {
      const scope = startRequestLog(options.logger, req, res);
      const run = () => runInRequest(scope, () => handle(req, res).catch((error: unknown) => failed(scope, req, res, error)));
      const traced = options.tracing ? startRequestSpan(req, res) : undefined;
      if (traced) traceContext.with(traced, run);
      else run();
    },
  };
}
