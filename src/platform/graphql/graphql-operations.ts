import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { Metrics } from '../metrics.js';
import { operationPrompts } from './limits/operation-cost.js';
import { annotateRequestLog, type OperationLogFields } from '../http/request-logging.js';

/** Distinct operation names kept as metric labels; later ones count as "other" (names are client-chosen). */
const MAX_OPERATION_LABELS = 200;

export interface OperationSample {
  /** The operation's name; null when anonymous or when no operation was resolved (parse or validation failed). */
  name: string | null;
  /** query, mutation or subscription; null when no operation was resolved. */
  type: string | null;
  outcome: 'ok' | 'error';
  seconds: number;
}

/** Records GraphQL operations (HTTP and WebSocket) into gateway_graphql_requests_total and its latency histogram. */
export class OperationMetrics {
  private readonly labels = new Set<string>();

  constructor(private readonly metrics: Metrics) {}

  record(sample: OperationSample): void {
    const operation = this.label(sample);
    const type = sample.type ?? 'unknown';
    this.metrics.requests.inc({ operation, type, outcome: sample.outcome });
    this.metrics.requestDuration.observe({ operation, type }, sample.seconds);
  }

  private label({ name, type }: OperationSample): string {
    if (type === null) return 'unresolved';
    if (name === null) return 'anonymous';
    if (this.labels.has(name)) return name;
    if (this.labels.size >= MAX_OPERATION_LABELS) return 'other';
    this.labels.add(name);
    return name;
  }
}

/** On the context itself (enumerable): Apollo hands plugins a shallow copy of the context, never the object made. */
const HTTP_RESPONSE = Symbol('http response');

/** Ties an operation's context to its HTTP response, so the plugin can annotate that request's log line. */
export function withHttpResponse<T extends object>(context: T, res: ServerResponse): T {
  Object.defineProperty(context, HTTP_RESPONSE, { value: res, enumerable: true });
  return context;
}

const responseOf = (context: object): ServerResponse | undefined => (context as { [HTTP_RESPONSE]?: ServerResponse })[HTTP_RESPONSE];

export interface OperationsPluginOptions {
  metrics: OperationMetrics;
  /** LOG_PROMPTS: put the questions an operation asks on its log line. */
  logPrompts: boolean;
}

function errorCodes(context: GraphQLRequestContextWillSendResponse<object>): string[] {
  const { body } = context.response;
  const errors: readonly GraphQLFormattedError[] = (body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors) ?? [];
  return errors.map((error) => String(error.extensions?.code ?? 'UNKNOWN'));
}

/**
 * Apollo plugin: per operation, count and time it by name (requestDidStart →
 * willSendResponse) and put its name, outcome and duration on the HTTP
 * request's log line (with its prompts only when LOG_PROMPTS is on).
 */
export function operationsPlugin<TContext extends object>(options: OperationsPluginOptions): ApolloServerPlugin<TContext> {
  return {
    requestDidStart: async () => {
      const started = performance.now();
      let prompts: string[] | undefined;
      return {
        didResolveOperation: async ({ schema, document, request, operationName }) => {
          if (!options.logPrompts) return;
          try {
            // The resolved name (null when anonymous, and then the only operation).
            prompts = operationPrompts({ schema, document, variables: request.variables, operationName });
          } catch {
            prompts = undefined; // logging must never fail a request
          }
        },
        willSendResponse: async (context) => {
          const seconds = (performance.now() - started) / 1000;
          const codes = errorCodes(context);
          const sample: OperationSample = {
            name: context.operationName ?? null,
            type: context.operation?.operation ?? null,
            outcome: codes.length > 0 ? 'error' : 'ok',
            seconds,
          };
          options.metrics.record(sample);
          const res = responseOf(context.contextValue);
          if (!res) return;
          const fields: OperationLogFields = {
            operationName: sample.name,
            operationType: sample.type,
            outcome: sample.outcome,
            durationMs: Math.round(seconds * 1000),
            ...(codes.length > 0 ? { errorCodes: codes } : {}),
            ...(prompts ? { prompts } : {}),
          };
          annotateRequestLog(res, fields);
        },
      };
    },
  };
}
