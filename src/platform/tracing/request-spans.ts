/**
 * The request side of tracing, installed by server.ts only when tracing is on:
 * a SERVER span per HTTP request (continuing a caller's `traceparent`),
 * active while the request runs, which the Apollo plugin names after the
 * GraphQL operation it carries. The model-call spans started inside it
 * (model/traced-fetch.ts) become its children.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { TRACER_NAME } from './attributes.js';

/** Probes would flood the traces, as they would the log. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);
/** Where a request's trace context is kept, on `res.locals`. */
const TRACE_CONTEXT = 'traceContext';

const pathOf = (url: string) => url.split('?')[0] ?? '';

export function requestSpans(): RequestHandler {
  const tracer = trace.getTracer(TRACER_NAME);
  return (req, res, next) => {
    const path = pathOf(req.originalUrl);
    if (UNTRACED.has(path)) return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    // Named by its route where it is known (never by a path that holds ids); the GraphQL plugin renames it after its operation.
    const route = path === '/graphql' ? path : undefined;
    const span = tracer.startSpan(route ? `${req.method} ${route}` : req.method, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': path, ...(route ? { 'http.route': route } : {}) },
    }, parent);
    const active = trace.setSpan(parent, span);
    res.locals[TRACE_CONTEXT] = active;
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(active, next);
  };
}

/** Re-enters the request's trace context: body parsers and multipart call back outside it (as with rebindRequestScope). */
export const rebindTraceContext: RequestHandler = (_req, res, next) => {
  const active = res.locals[TRACE_CONTEXT] as Context | undefined;
  if (active) context.with(active, next);
  else next();
};

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
