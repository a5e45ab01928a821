import { GatewayError } from '../errors.js';
import type { QueryLimits } from './limits/query-limits.js';
import type { GraphqlHttpRequest, RequestRefusal } from '../http/graphql-http-request.js';

/** Bytes allowed for a JSON request body or the multipart `operations` field. */
export const DOCUMENT_BYTES = 1024 * 1024;

/** The `query` of a JSON or multipart body (already parsed), or of a GET's parameters. */
function documentOf(request: GraphqlHttpRequest): string | undefined {
  const fromBody = (request.body as { query?: unknown } | undefined)?.query;
  if (typeof fromBody === 'string') return fromBody;
  return new URLSearchParams(request.search).get('query') ?? undefined;
}

/**
 * QUERY_MAX_TOKENS over HTTP, before Apollo parses the document: parsing and
 * validating a 1 MiB document of tiny tokens blocks the event loop for
 * seconds, so its size is judged by a bounded lexer pass first.
 */
export function checkOperationSize(limits: QueryLimits, request: GraphqlHttpRequest): RequestRefusal | undefined {
  const document = documentOf(request);
  const refused = document === undefined ? undefined : limits.checkSource(document);
  if (!refused) return undefined;
  const { code: _code, http: _http, ...details } = refused.extensions;
  return { refused: true, error: new GatewayError('QUERY_TOO_COMPLEX', refused.message, { extensions: details }) };
}
