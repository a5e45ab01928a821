/**
 * The request side of tracing, installed by server.ts only when tracing is on:
 * a SERVER span per HTTP request (continuing a caller's `traceparent`),
 * active while the request runs, which the Apollo plugin names after the
 * GraphQL operation it carries. The model-call spans started inside it
 * (model/traced-fetch.ts) become its children.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { TRACER_NAME } from './attributes.js';

/** Probes would flood the traces, as they would the log. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);
const pathOf = (url: string) => url.split('?')[0] ?? '';

/**
 * A SERVER span for one HTTP request, ended when its response closes; the
 * context to run the request in (undefined for probes, which are not traced).
 */
export function startRequestSpan(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse): Context | undefined {
  const path = pathOf(req.originalUrl ?? req.url ?? '');
  if (UNTRACED.has(path)) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  // Named by its route where it is known (never by a path that holds ids); the GraphQL plugin renames it after its operation.
  const route = path === '/graphql' ? path : undefined;
  const method = req.method ?? 'GET';
  const span = trace.getTracer(TRACER_NAME).startSpan(route ? `${method} ${route}` : method, {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': method, 'url.path': path, ...(route ? { 'http.route': route } : {}) },
  }, parent);
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  return trace.setSpan(parent, span);
}

/** `startRequestSpan` for the Express routes: the rest of the chain runs in the span's context. */
export function requestSpans(): RequestHandler {
  return (req, res, next) => {
    const active = startRequestSpan(req, res);
    if (active) context.with(active, next);
    else next();
  };
}

/** Names the request's span after its GraphQL operation (`mutation AskQuestion`) and records the error codes it answered with. */
export function operationSpanPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ operation, operationName }) => {
        const span = trace.getActiveSpan();
        if (!span || !operation) return;
        span.updateName(operationName ? `${operation.operation} ${operationName}` : operation.operation);
        span.setAttribute('graphql.operation.type', operation.operation);
        if (operationName) span.setAttribute('graphql.operation.name', operationName);
      },
      willSendResponse: async ({ response }) => {
        const span = trace.getActiveSpan();
        const { body } = response;
        const errors = (body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors) ?? [];
        if (!span || errors.length === 0) return;
        span.setAttribute('gateway.graphql.error_codes', errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN')));
        span.setStatus({ code: SpanStatusCode.ERROR });
      },
    }),
  };
}

/**
 * A graphql-ws operation's span, named like an HTTP one (`subscription JobCompleted`): a no-op
 * until tracing registers an SDK. What runs inside `within(...)` (the operation's execution and the
 * model calls it starts) becomes its children.
 */
export interface OperationSpan {
  within<T>(work: () => T): T;
  end(errorCodes: readonly string[]): void;
}

export function startOperationSpan(type: string | null, name: string | null): OperationSpan {
  const span = trace.getTracer(TRACER_NAME).startSpan(type ? (name ? `${type} ${name}` : type) : 'graphql-ws operation', {
    kind: SpanKind.SERVER,
    attributes: { 'network.protocol.name': 'websocket', ...(type ? { 'graphql.operation.type': type } : {}), ...(name ? { 'graphql.operation.name': name } : {}) },
  });
  const active = trace.setSpan(context.active(), span);
  return {
    within: (work) => context.with(active, work),
    end: (errorCodes) => {
      if (errorCodes.length > 0) {
        span.setAttribute('gateway.graphql.error_codes', [...errorCodes]);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
