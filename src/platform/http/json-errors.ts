import type { IncomingMessage, ServerResponse } from 'node:http';
import accepts from 'accepts';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { GatewayError, httpStatusOf } from '../errors.js';

/**
 * GraphQL-over-HTTP's media type. Apollo Client 4 reads a non-2xx body as
 * GraphQL errors only when it comes with this type (otherwise it raises a
 * ServerError and the code is lost in bodyText), so every error the gateway
 * writes itself uses it whenever the client accepts it.
 */
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** application/json first: clients that send no Accept (or any type) keep the legacy type, as Apollo Server does. */
function errorMediaType(req: IncomingMessage): string {
  return accepts(req).types(['application/json', GRAPHQL_RESPONSE]) || 'application/json';
}

/** The GraphQL-shaped body of an error the gateway writes itself (also a refused WebSocket handshake's). */
export const requestErrorBody = (error: GatewayError): string =>
  JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code, ...error.extensions } }] });

/**
 * A failure that happens before (or outside) GraphQL, GraphQL-shaped, with
 * the status its code decides (httpStatusOf). Plain node:http objects, so the
 * GraphQL route (no Express) and the Express side routes answer alike.
 */
export function sendRequestError(req: IncomingMessage, res: ServerResponse, error: GatewayError): void {
  const body = requestErrorBody(error);
  res.statusCode = httpStatusOf(error);
  res.setHeader('Content-Type', `${errorMediaType(req)}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Anything unexpected: details are logged where it happened, never sent. */
export const internalError = (message = 'Internal server error.') => new GatewayError('INTERNAL_SERVER_ERROR', message);

/** internalError's message where the failure was logged and the client can only retry. */
export const LOGGED_FAILURE = 'Internal server error. The failure was logged; retry later or contact the operator.';

/** A transport failure (a body parser's 4xx: 413, malformed JSON) as the coded error it is, keeping its status; undefined for anything else. */
export function transportError(error: unknown): GatewayError | undefined {
  const status = (error as { status?: unknown } | null | undefined)?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return new GatewayError(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', error instanceof Error ? error.message : 'Bad request.', { httpStatus: status });
}

/** A transport failure as a coded JSON answer with its 4xx status, never an HTML 500. */
export function sendTransportError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  sendRequestError(req, res, transportError(error) ?? internalError());
}

/** Body-parser and other transport failures on the Express routes. */
export const jsonErrorHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) return next(error);
  sendTransportError(req, res, error);
};

/** Unknown paths answer a coded JSON 404 rather than Express's HTML page. */
export const jsonNotFound: RequestHandler = (req, res) => {
  sendRequestError(req, res, new GatewayError('NOT_FOUND', `Nothing here: ${req.method} ${req.path}. GraphQL is at /graphql.`));
};
