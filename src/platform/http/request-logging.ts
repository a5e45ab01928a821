import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
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

/** Puts the GraphQL operation's name, outcome and duration on the request's completion line. */
export function annotateRequestLog(res: ServerResponse, fields: OperationLogFields): void {
  operationFields.set(res, fields);
}

/** Probes that would flood the log when healthy; logged only when they fail. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (url: string) => url.split('?')[0] ?? '';

/**
 * The completion line's logger: the app's, without its redaction fence, which this line never
 * needs (every field is typed below: no header, body, key or image bytes) and which was 3% of a
 * cached answer's CPU on Node 24. Lines logged inside the request keep the fence.
 */
const completionLoggers = new WeakMap<Logger, Logger>();
function completionLogger(logger: Logger): Logger {
  let plain = completionLoggers.get(logger);
  if (!plain) {
    plain = logger.child({}, { redact: [] });
    completionLoggers.set(logger, plain);
  }
  return plain;
}

/** The completion line: its level, and what it says about the request (its path as received: Express rewrites `url` in mounted routers). */
function logCompletion(logger: Logger, reqId: string, req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, responseTime: number): void {
  const url = pathOf(req.originalUrl ?? req.url ?? '');
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
export function startRequestLog(logger: Logger, req: IncomingMessage, res: ServerResponse): RequestScope {
  const started = performance.now();
  const reqId = requestIdFrom(req.headers['x-request-id']);
  res.setHeader('X-Request-Id', reqId);
  // 'close' comes once, after the response is sent or when the client went away first.
  const completion = completionLogger(logger);
  res.once('close', () => logCompletion(completion, reqId, req, res, Math.round(performance.now() - started)));
  return requestScope(logger, reqId);
}

/** `startRequestLog` for the Express routes: the rest of the chain runs in the request's scope. */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    runInRequest(startRequestLog(logger, req, res), next);
  };
}
