import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { databaseFull, isDatabaseFull } from '../database/prisma-errors.js';
import { GRAPHQL_ERROR_CODES, GatewayError } from '../errors.js';

/**
 * Where the gateway's coded errors meet GraphQL: one conversion into a
 * GraphQLError (with the HTTP status when the error fails the whole request)
 * and one formatter for HTTP and WebSocket. The error type itself knows
 * nothing of GraphQL.
 */

export function toGraphQLError(error: GatewayError): GraphQLError {
  const status = error.httpStatus;
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { code: error.code, ...error.extensions, ...(status ? { http: { status } } : {}) },
  });
}

/** Codes Apollo and graphql-js produce themselves (BAD_USER_INPUT, BAD_REQUEST and APQ's PERSISTED_QUERY_NOT_FOUND too); they are already safe to show. */
const FRAMEWORK_CODES = new Set<string>([...Object.keys(GRAPHQL_ERROR_CODES), 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND']);

export interface ErrorFormatterOptions {
  includeStacktrace: boolean;
  logUnexpected: (error: unknown) => void;
}

/**
 * The one formatter for HTTP and WebSocket: coded errors keep their code and
 * message; anything unexpected becomes INTERNAL_SERVER_ERROR with a generic
 * message (the original is logged, never shown).
 */
export function createErrorFormatter(options: ErrorFormatterOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // A full database raised outside a resolver (CodedErrors converts those) is still STORAGE_FULL.
    const root = rootCause(error);
    const original = findGatewayError(error) ?? databaseFull(root) ?? root;
    const stack = options.includeStacktrace && original instanceof Error ? { stacktrace: original.stack?.split('\n') } : {};
    if (original instanceof GatewayError) {
      // The operator must hear of a full database: nothing else reports it (a full disk has StorageHealth).
      if (isDatabaseFull(original.cause)) options.logUnexpected(original.cause);
      return { ...formatted, message: original.message, extensions: { ...formatted.extensions, code: original.code, ...original.extensions, ...stack } };
    }
    if (formatted.extensions?.validationErrorCode === 'INTROSPECTION_DISABLED') return introspectionDisabled(formatted);
    if (isUncodedRequestError(original)) {
      // Apollo's own refusals of a request (a persisted query whose hash does not match, an unsupported
      // version) carry a 4xx status but no code: they are the client's mistake, not an internal error.
      return { message: (original as Error).message, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && FRAMEWORK_CODES.has(code)) {
      return options.includeStacktrace ? formatted : withoutStack(formatted);
    }
    options.logUnexpected(original);
    return {
      message: 'Internal server error. The failure was logged; retry later or contact the operator.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...stack },
    };
  };
}

/**
 * graphql-js wraps a resolver's error (even a GraphQLError) once more, and
 * `instanceof GraphQLError` is unreliable when ESM and CJS copies of graphql
 * meet, so follow `originalError` links instead.
 */
function originalErrors(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 5; current = (current as { originalError?: unknown }).originalError) chain.push(current);
  return chain;
}

function findGatewayError(error: unknown): GatewayError | undefined {
  return originalErrors(error).find((e): e is GatewayError => e instanceof GatewayError);
}

function rootCause(error: unknown): unknown {
  return originalErrors(error).at(-1);
}

/** Apollo's own wording tells the operator to change code; tell the client where the schema is instead. */
function introspectionDisabled(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return {
    message: 'Introspection is disabled (EXPLORER=false, the default with NODE_ENV=production). The schema is published as schema/schema.graphql in the gateway repository.',
    locations: formatted.locations,
    extensions: { code: 'INTROSPECTION_DISABLED' },
  };
}

function isUncodedRequestError(error: unknown): boolean {
  const extensions = (error as { extensions?: { code?: unknown; http?: { status?: unknown } } } | undefined)?.extensions;
  const status = extensions?.http?.status;
  return extensions?.code === undefined && typeof status === 'number' && status >= 400 && status < 500;
}

function withoutStack(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions || !('stacktrace' in formatted.extensions)) return formatted;
  const { stacktrace: _omit, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}
