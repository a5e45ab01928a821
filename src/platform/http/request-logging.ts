import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { requestIdFrom, requestScope, runInRequest, type RequestScope } from './request-context.js';

/** What the GraphQL layer adds to a request's log line (see graphql-operations.ts). */
export interface OperationLogFields {
  operationName: string | null;
  operationType: string | null;
  outcome: 'ok' | 'error';
  durationMs: number;
  errorCodes?: string[];
  /** Only with LOG_PROMPTS=true. */
  prompts?: string[];
}

const operationFields = new WeakMap<ServerResponse, OperationLogFields>();
/** Where a request's scope is kept, on `res.locals` (made per request by Express anyway). */
const SCOPE = 'requestScope';

/** Puts the GraphQL operation's name, outcome and duration on the request's completion line. */
export function annotateRequestLog(res: ServerResponse, fields: OperationLogFields): void {
  operationFields.set(res, fields);
}

/** Probes that would flood the log when healthy; logged only when they fail. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (url: string) => url.split('?')[0] ?? '';

/** The completion line: its level, and what it says about the request. */
function logCompletion(logger: Logger, reqId: string, req: Request, res: ServerResponse, responseTime: number): void {
  const url = pathOf(req.originalUrl);
  const failed = res.statusCode >= 500;
  if (!failed && PROBES.has(url) && res.statusCode < 400) return;
  const graphql = operationFields.get(res);
  const line = {
    reqId,
    req: { method: req.method, url, remoteAddress: req.socket.remoteAddress },
    res: { statusCode: res.statusCode },
    responseTime,
    ...(graphql ? { graphql } : {}),
  };
  if (failed) logger.error({ ...line, err: new Error(`failed with status code ${res.statusCode}`) }, 'request errored');
  else logger.info(line, 'request completed');
}

/**
 * One JSON line per HTTP request, when its response is done, carrying
 * `reqId`: the caller's X-Request-Id when it is a sane token, else a new
 * UUID, echoed in the response's X-Request-Id. Lines hold the method, the
 * path (never the query string), the status and timings: no headers (so no
 * Authorization or API key), no bodies (so no image bytes, no prompts).
 * Inside the request, `currentRequest()` gives a logger bound to the same id,
 * made only if something logs (most requests log their completion alone).
 *
 * Written here rather than with pino-http, which builds a child logger and
 * runs its serializers on every request: about 9 % of a cached answer's CPU
 * in the peers benchmark (bench/), for a line this short to write directly.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const reqId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', reqId);
    const scope = requestScope(logger, reqId);
    res.locals[SCOPE] = scope;
    // 'close' comes once, after the response is sent or when the client went away first.
    res.once('close', () => logCompletion(logger, reqId, req, res, Math.round(performance.now() - started)));
    runInRequest(scope, next);
  };
}

/**
 * Re-enters the request's scope: streams (body parsers, multipart) call back
 * outside it, so mount this after them and before code that logs.
 */
export const rebindRequestScope: RequestHandler = (_req, res, next) => {
  const scope = res.locals[SCOPE] as RequestScope | undefined;
  if (scope) runInRequest(scope, next);
  else next();
};
