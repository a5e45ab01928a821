import type { ErrorRequestHandler, Response } from 'express';
import { GatewayError, httpStatusOf } from '../../platform/errors.js';
import { internalError, transportError } from '../../platform/http/json-errors.js';
import type { Logger } from '../../platform/logger.js';

/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "code", "param"}}`,
 * with the HTTP status the gateway's code has everywhere (platform/errors.ts)
 * and that code in `code`, so OpenAI's SDKs raise their usual classes
 * (401 AuthenticationError, 429 RateLimitError, …) and a client can still
 * branch on the gateway's code.
 */

export interface OpenAiErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

/** OpenAI's `type` for a status. */
function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403 || status === 421) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function errorBody(status: number, code: string, message: string, param: string | null = null): OpenAiErrorBody {
  return { error: { message, type: typeOf(status), code, param } };
}

/** The status and body of any failure; one the gateway did not expect is logged and told as INTERNAL_SERVER_ERROR. */
export function describeError(error: unknown, logger: Logger): { status: number; body: OpenAiErrorBody; retryAfter?: number } {
  const expected = error instanceof GatewayError ? error : transportError(error);
  if (!expected) logger.error({ err: error }, 'unexpected error in a chat completion');
  const coded = expected ?? internalError();
  const status = httpStatusOf(coded);
  const param = typeof coded.extensions.param === 'string' ? coded.extensions.param : null;
  const retryAfter = coded.extensions.retryAfter;
  return { status, body: errorBody(status, coded.code, coded.message, param), ...(typeof retryAfter === 'number' ? { retryAfter } : {}) };
}

export function sendError(res: Response, error: unknown, logger: Logger): void {
  const { status, body, retryAfter } = describeError(error, logger);
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(status).json(body);
}

/** The routes' own error handler: everything under /v1 answers in OpenAI's shape. */
export function openAiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, next) => (res.headersSent ? next(error) : sendError(res, error, logger));
}
