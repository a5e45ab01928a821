import { GatewayError } from '../errors.js';
import type { GraphqlHttpRequest, RequestRefusal } from '../http/graphql-http-request.js';
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

/** The GET's search with the listed document as `query` (Apollo reads GET parameters from it). */
function rewrittenSearch(search: URLSearchParams, request: PersistedRequest): string {
  const params = new URLSearchParams(search);
  params.delete('documentId');
  params.set('query', String(request.query));
  if (request.extensions) params.set('extensions', JSON.stringify(request.extensions));
  else params.delete('extensions');
  return `?${params.toString()}`;
}

/**
 * On /graphql after the body is read (JSON or multipart): a request naming a
 * trusted document runs that document; an unknown documentId, and with
 * PERSISTED_DOCUMENTS_ONLY a document sent as text, is refused before Apollo
 * parses anything. A GET keeps today's rules (queries only, CSRF header):
 * its parameters are rewritten, and Apollo judges it as if the document had been sent.
 */
export function applyTrustedDocuments(trusted: TrustedDocuments, request: GraphqlHttpRequest): GraphqlHttpRequest | RequestRefusal {
  const isGet = request.method === 'GET';
  const search = new URLSearchParams(request.search);
  const sent: unknown = isGet ? getParameters(search) : request.body;
  // Batches and bodies that are not objects: Apollo refuses them in its own words.
  if (!sent || typeof sent !== 'object' || Array.isArray(sent)) return request;
  const outcome = trusted.resolve(sent as PersistedRequest);
  if (outcome.kind === 'pass') return request;
  if (outcome.kind === 'refused') return { refused: true, error: new GatewayError(outcome.code, outcome.message) };
  return isGet ? { ...request, search: rewrittenSearch(search, outcome.request) } : { ...request, body: outcome.request };
}
