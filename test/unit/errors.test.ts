import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../src/platform/errors.js';
import { createErrorFormatter, toGraphQLError } from '../../src/platform/graphql/error-formatter.js';

const resolverError = (original: Error) =>
  new GraphQLError(original.message, { path: ['field'], originalError: original instanceof GatewayError ? toGraphQLError(original) : original });

describe('formatError', () => {
  it('keeps a coded error’s code, message and extensions', () => {
    const format = createErrorFormatter({ includeStacktrace: false, logUnexpected: vi.fn() });
    const error = resolverError(new GatewayError('MODEL_RATE_LIMITED', 'Slow down.', { extensions: { retryAfter: 3 } }));
    const formatted = format({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(formatted).toMatchObject({ message: 'Slow down.', extensions: { code: 'MODEL_RATE_LIMITED', retryAfter: 3 } });
    expect(formatted.extensions).not.toHaveProperty('stacktrace');
  });

  it('hides unexpected errors behind INTERNAL_SERVER_ERROR and logs them', () => {
    const logUnexpected = vi.fn();
    const format = createErrorFormatter({ includeStacktrace: false, logUnexpected });
    const secret = new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
    const formatted = format({ message: secret.message, extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['x'] } }, resolverError(secret));
    expect(formatted.message).not.toMatch(/hunter2|ECONNREFUSED/);
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(logUnexpected).toHaveBeenCalledWith(secret);
  });

  it('passes graphql-js validation errors through without stack traces', () => {
    const format = createErrorFormatter({ includeStacktrace: false, logUnexpected: vi.fn() });
    const formatted = format({ message: 'Cannot query field "x".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['at ...'] } }, new GraphQLError('x'));
    expect(formatted).toEqual({ message: 'Cannot query field "x".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  it('adds stack traces only when asked (development)', () => {
    const format = createErrorFormatter({ includeStacktrace: true, logUnexpected: vi.fn() });
    const formatted = format({ message: 'boom', extensions: {} }, resolverError(new Error('boom')));
    expect(formatted.extensions?.stacktrace).toBeInstanceOf(Array);
  });
});
