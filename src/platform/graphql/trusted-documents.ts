import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorCode } from '../errors.js';

/**
 * Trusted documents (persisted documents): the GraphQL documents the gateway
 * knows by their sha256, from PERSISTED_DOCUMENTS and from the web console's
 * own build. A request names one by `documentId` ("sha256:<hex>", the
 * GraphQL-over-HTTP persisted-documents convention) or by Apollo's
 * `extensions.persistedQuery.sha256Hash`; with PERSISTED_DOCUMENTS_ONLY a
 * document sent as text is refused, whatever the transport (HTTP GET, POST,
 * multipart, graphql-ws), before it is parsed.
 */

/** "sha256:<hex>" (or a bare hex) → document, as GraphQL Code Generator's client preset writes persisted-documents.json. */
export type DocumentManifest = Readonly<Record<string, string>>;

/** The fields of a GraphQL request this cares about (a JSON body, a GET's parameters, a graphql-ws subscribe payload). */
export interface PersistedRequest {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

export type Resolution =
  /** Nothing to do: a free-form document (allowed), or what Apollo answers itself (APQ, a request with no document). */
  | { kind: 'pass' }
  /** A listed document: the request to run instead, its `documentId` and APQ extension gone. */
  | { kind: 'trusted'; request: PersistedRequest }
  | { kind: 'refused'; code: Extract<ErrorCode, 'PERSISTED_QUERY_NOT_FOUND' | 'PERSISTED_QUERY_NOT_IN_LIST'>; message: string };

const DOCUMENT_ID = /^sha256:([0-9a-f]{64})$/;
/** Apollo's APQ sends a bare hex; a client sending the client preset's `__meta__.hash` sends it prefixed. */
const hexOf = (hash: string) => hash.replace(/^sha256:/, '');

const apqHash = (extensions: unknown): string | undefined => {
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
};

/** The extensions without Apollo's persistedQuery (the document is already known: nothing for APQ to store). */
function withoutPersistedQuery(extensions: unknown): Record<string, unknown> | undefined {
  if (!extensions || typeof extensions !== 'object') return undefined;
  const { persistedQuery: _persistedQuery, ...rest } = extensions as Record<string, unknown>;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

export class TrustedDocuments {
  private readonly documents: ReadonlyMap<string, string>;

  constructor(
    manifests: DocumentManifest[],
    /** PERSISTED_DOCUMENTS_ONLY. */
    readonly only: boolean,
  ) {
    this.documents = new Map(manifests.flatMap((manifest) => Object.entries(manifest).map(([hash, document]) => [hexOf(hash), document] as const)));
  }

  get size(): number {
    return this.documents.size;
  }

  /** What to do with a request: run a listed document, let it through as it is, or refuse it. */
  resolve(request: PersistedRequest): Resolution {
    // graphql-ws requires a string `query`: a subscribe message naming a document sends ''.
    const hasText = typeof request.query === 'string' && request.query !== '';
    if (request.documentId !== undefined && request.documentId !== null) {
      const hex = typeof request.documentId === 'string' ? DOCUMENT_ID.exec(request.documentId)?.[1] : undefined;
      const document = hex === undefined ? undefined : this.documents.get(hex);
      if (document === undefined) return notFound(`No trusted document has the documentId ${JSON.stringify(request.documentId)}; ids are "sha256:<hex>" of a document in the deployed manifest.`);
      return this.trusted(request, document);
    }
    const hash = apqHash(request.extensions);
    const listed = hash === undefined ? undefined : this.documents.get(hexOf(hash));
    if (listed !== undefined) return this.trusted(request, listed);
    if (!this.only) return { kind: 'pass' };
    if (hasText) {
      return {
        kind: 'refused',
        code: 'PERSISTED_QUERY_NOT_IN_LIST',
        message: 'This gateway runs only trusted documents (PERSISTED_DOCUMENTS_ONLY): send the documentId ("sha256:<hex>") of a document in its manifest, not the document itself.',
      };
    }
    if (hash !== undefined) return notFound(`No trusted document has the sha256Hash "${hash.slice(0, 64)}".`);
    return { kind: 'pass' };
  }

  private trusted(request: PersistedRequest, document: string): Resolution {
    // Everything else the request carries (variables, operationName) stays.
    const { documentId: _documentId, extensions, ...rest } = request as Record<string, unknown>;
    const kept = withoutPersistedQuery(extensions);
    return { kind: 'trusted', request: { ...rest, query: document, ...(kept ? { extensions: kept } : {}) } };
  }
}

const notFound = (message: string): Resolution => ({ kind: 'refused', code: 'PERSISTED_QUERY_NOT_FOUND', message });

/** Where web/build.ts puts the console's manifest, beside Vite's own (not served: express.static skips dot folders). */
export const CONSOLE_MANIFEST = path.join('.vite', 'persisted-documents.json');

/** The console's own manifest from its build, or none when the console is not built. */
export function consoleManifest(webDist: string): DocumentManifest {
  const file = path.join(webDist, CONSOLE_MANIFEST);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DocumentManifest) : {};
}
