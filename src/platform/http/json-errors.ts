import type { IncomingMessage, ServerResponse } from 'node:http';
import accepts from 'accepts';
import type { ErrorRequestHandler, RequestHandler } from 'express';

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

/**
 * A GraphQL-shaped error body for failures that happen before (or outside)
 * GraphQL. Plain node:http objects, so the GraphQL route (no Express) and the
 * Express side routes answer alike.
 */
export function sendRequestError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });
  res.statusCode = status;
  res.setHeader('Content-Type', `${errorMediaType(req)}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A transport failure (body parser: 413, malformed JSON) as a coded JSON answer with its 4xx status, never an HTML 500. */
export function sendTransportError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const reported = (error as { status?: unknown } | undefined)?.status;
  const status = typeof reported === 'number' && reported >= 400 && reported < 500 ? reported : 500;
  if (status === 500) return sendRequestError(req, res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
  sendRequestError(req, res, status, code, error instanceof Error ? error.message : 'Bad request.');
}

/** Body-parser and other transport failures on the Express routes. */
export const jsonErrorHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) return next(error);
  sendTransportError(req, res, error);
};

/** Unknown paths answer a coded JSON 404 rather than Express's HTML page. */
export const jsonNotFound: RequestHandler = (req, res) => {
  sendRequestError(req, res, 404, 'NOT_FOUND', `Nothing here: ${req.method} ${req.path}. GraphQL is at /graphql.`);
};
