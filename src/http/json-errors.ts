import type { ErrorRequestHandler, Response } from 'express';

/** A GraphQL-shaped error body for failures that happen before GraphQL runs. */
export function sendRequestError(res: Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  res.status(status).json({ errors: [{ message, extensions: { code, ...extensions } }] });
}

/** Body-parser and other transport failures answer in JSON with their 4xx status, never an HTML 500. */
export const jsonErrorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
  if (status === 500) return sendRequestError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
  sendRequestError(res, status, code, error instanceof Error ? error.message : 'Bad request.');
};
