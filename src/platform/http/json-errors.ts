import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

/**
 * GraphQL-over-HTTP's media type. Apollo Client 4 reads a non-2xx body as
 * GraphQL errors only when it comes with this type (otherwise it raises a
 * ServerError and the code is lost in bodyText), so every error the gateway
 * writes itself uses it whenever the client accepts it.
 */
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** application/json first: clients that send no Accept (or any type) keep the legacy type, as Apollo Server does. */
function errorMediaType(req: Request): string {
  return req.accepts(['application/json', GRAPHQL_RESPONSE]) || 'application/json';
}

/** A GraphQL-shaped error body for failures that happen before (or outside) GraphQL. */
export function sendRequestError(req: Request, res: Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });
  res.status(status).type(`${errorMediaType(req)}; charset=utf-8`).send(body);
}

/** Body-parser and other transport failures answer in JSON with their 4xx status, never an HTML 500. */
export const jsonErrorHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) return next(error);
  const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  if (status === 500) return sendRequestError(req, res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
  sendRequestError(req, res, status, code, error instanceof Error ? error.message : 'Bad request.');
};

/** Unknown paths answer a coded JSON 404 rather than Express's HTML page. */
export const jsonNotFound: RequestHandler = (req, res) => {
  sendRequestError(req, res, 404, 'NOT_FOUND', `Nothing here: ${req.method} ${req.path}. GraphQL is at /graphql.`);
};
