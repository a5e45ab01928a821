import type { RequestHandler } from 'express';
import { HTTP_STATUS } from '../errors.js';
import { sendRequestError } from '../http/json-errors.js';
import type { PersistedRequest, TrustedDocuments } from './trusted-documents.js';

/** A GET's GraphQL parameters; `extensions` parsed when it is JSON (else Apollo reports it). */
function getParameters(search: URLSearchParams): PersistedRequest {
  const extensions = search.get('extensions');
  let parsed: unknown = extensions ?? undefined;
  try {
    if (extensions !== null) parsed = JSON.parse(extensions);
  } catch {
    // left as text: Apollo answers the malformed parameter
  }
  return { query: search.get('query') ?? undefined, documentId: search.get('documentId') ?? undefined, extensions: parsed };
}

/** The GET's URL with the listed document as `query` (Apollo reads GET parameters from req.url). */
function rewrittenUrl(url: string, request: PersistedRequest): string {
  const [pathname, search = ''] = url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(search);
  params.delete('documentId');
  params.set('query', String(request.query));
  if (request.extensions) params.set('extensions', JSON.stringify(request.extensions));
  else params.delete('extensions');
  return `${pathname}?${params.toString()}`;
}

/**
 * On /graphql after the body is read (JSON or multipart): a request naming a
 * trusted document runs that document; an unknown documentId, and with
 * PERSISTED_DOCUMENTS_ONLY a document sent as text, is refused before Apollo
 * parses anything. A GET keeps today's rules (queries only, CSRF header):
 * it is rewritten, and Apollo judges it as if the document had been sent.
 */
export function trustedDocumentsMiddleware(trusted: TrustedDocuments): RequestHandler {
  return (req, res, next) => {
    const isGet = req.method === 'GET';
    const search = new URLSearchParams(req.url.split('?', 2)[1] ?? '');
    const request: unknown = isGet ? getParameters(search) : req.body;
    // Batches and bodies that are not objects: Apollo refuses them in its own words.
    if (!request || typeof request !== 'object' || Array.isArray(request)) return next();
    const outcome = trusted.resolve(request as PersistedRequest);
    if (outcome.kind === 'pass') return next();
    if (outcome.kind === 'refused') return sendRequestError(req, res, HTTP_STATUS[outcome.code], outcome.code, outcome.message);
    if (isGet) req.url = rewrittenUrl(req.url, outcome.request);
    else req.body = outcome.request;
    next();
  };
}
