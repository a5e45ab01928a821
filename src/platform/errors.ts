/** The stable `extensions.code` values clients branch on (README, "Errors"). */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_USER_INPUT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'IMAGE_TOO_LARGE'
  | 'NOT_FOUND'
  | 'MODEL_NOT_CONFIGURED'
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_BAD_RESPONSE'
  | 'MODEL_REJECTED'
  | 'MODEL_QUOTA_EXHAUSTED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COMPLEX'
  | 'BLOB_MISSING'
  | 'CONFLICT'
  | 'STORAGE_FULL'
  | 'INTERNAL_SERVER_ERROR';

/**
 * The one table from code to HTTP status, for answers the gateway writes
 * itself (refusals before GraphQL, the image routes) and for errors that fail
 * a whole GraphQL request. Inside GraphQL, a field's error leaves the response
 * at 200 unless the error fails the request as a whole (WHOLE_REQUEST).
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_USER_INPUT: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  IMAGE_TOO_LARGE: 413,
  NOT_FOUND: 404,
  MODEL_NOT_CONFIGURED: 503,
  MODEL_RATE_LIMITED: 503,
  MODEL_UNAVAILABLE: 503,
  MODEL_BAD_RESPONSE: 502,
  MODEL_REJECTED: 422,
  // The gateway's account with the model provider is out of quota or credit: the server cannot serve, the client did nothing wrong.
  MODEL_QUOTA_EXHAUSTED: 503,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  QUERY_TOO_COMPLEX: 400,
  BLOB_MISSING: 500,
  // Another operation holds what this one needs (a conversation already being answered): retry after it.
  CONFLICT: 409,
  // 507 Insufficient Storage: the server could not store what it was sent; the client did nothing wrong.
  STORAGE_FULL: 507,
  INTERNAL_SERVER_ERROR: 500,
};

/** Codes that fail the whole GraphQL request wherever they are raised. */
const WHOLE_REQUEST = new Set<ErrorCode>(['PAYLOAD_TOO_LARGE', 'STORAGE_FULL', 'UNAUTHENTICATED']);

export interface GatewayErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  extensions?: Record<string, unknown>;
  httpStatus?: number;
}

/**
 * An expected failure with a code the client can branch on and a message a
 * person can act on. `retryable` travels with the error so callers (jobs,
 * retries) need not re-derive it from the code.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly extensions: Record<string, unknown>;

  /** HTTP status when this error means the whole request was malformed. */
  readonly httpStatus: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.extensions = options.extensions ?? {};
    this.httpStatus = options.httpStatus ?? (WHOLE_REQUEST.has(code) ? HTTP_STATUS[code] : undefined);
  }

}

export const badInput = (message: string) => new GatewayError('BAD_USER_INPUT', message);
export const notFound = (what: string, id: string) => new GatewayError('NOT_FOUND', `No ${what} with id "${id}".`);

/** Whatever was thrown, as an Error (a rejection may carry anything). */
export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
