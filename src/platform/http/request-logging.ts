import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger.js';
import { requestIdFrom, runInRequest } from './request-context.js';

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

const pathOf = (url: string | undefined) => (url ?? '').split('?')[0] ?? '';

/**
 * One JSON line per HTTP request (pino-http), carrying `reqId`: the caller's
 * X-Request-Id when it is a sane token, else a new UUID, echoed in the
 * response's X-Request-Id. Lines hold the method, the path (never the query
 * string), the status and timings: no headers (so no Authorization or API
 * key), no bodies (so no image bytes, no prompts). Inside the request,
 * `req.log` and `currentRequest()` give a logger bound to the same id.
 */
export function requestLogging(logger: Logger): RequestHandler {
  const httpLogger = pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    quietReqLogger: true, // req.log carries only reqId; the completion line carries the request summary
    genReqId: (req, res) => {
      const id = requestIdFrom(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({ method: req.method, url: pathOf(req.url), remoteAddress: req.remoteAddress }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (_req, res) => {
      const graphql = operationFields.get(res);
      return graphql ? { graphql } : {};
    },
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (PROBES.has(pathOf((req as { originalUrl?: string }).originalUrl ?? req.url)) && res.statusCode < 400) return 'silent';
      return 'info';
    },
  });
  return (req, res, next) => {
    httpLogger(req, res, () => runInRequest({ reqId: String(req.id), log: req.log }, next));
  };
}

/**
 * Re-enters the request's scope: streams (body parsers, multipart) call back
 * outside it, so mount this after them and before code that logs.
 */
export const rebindRequestScope: RequestHandler = (req, _res, next) => {
  runInRequest({ reqId: String(req.id), log: req.log }, next);
};
