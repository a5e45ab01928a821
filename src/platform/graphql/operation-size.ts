import type { RequestHandler } from 'express';
import type { QueryLimits } from './limits/query-limits.js';
import { sendRequestError } from '../http/json-errors.js';

/** Bytes allowed for a JSON request body or the multipart `operations` field. */
export const DOCUMENT_BYTES = 1024 * 1024;

/** The `query` of a JSON or multipart body (already parsed), or of a GET's query string. */
function documentOf(body: unknown, query: unknown): string | undefined {
  const fromBody = (body as { query?: unknown } | undefined)?.query;
  if (typeof fromBody === 'string') return fromBody;
  const fromUrl = (query as { query?: unknown } | undefined)?.query;
  return typeof fromUrl === 'string' ? fromUrl : undefined;
}

/**
 * QUERY_MAX_TOKENS over HTTP, before Apollo parses the document: parsing and
 * validating a 1 MiB document of tiny tokens blocks the event loop for
 * seconds, so its size is judged by a bounded lexer pass first.
 */
export function operationSizeLimit(limits: QueryLimits): RequestHandler {
  return (req, res, next) => {
    const document = documentOf(req.body, req.query);
    const refused = document === undefined ? undefined : limits.checkSource(document);
    if (!refused) return next();
    const { code: _code, http: _http, ...details } = refused.extensions;
    sendRequestError(req, res, 400, 'QUERY_TOO_COMPLEX', refused.message, details);
  };
}
