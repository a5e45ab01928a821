/**
 * The stable `extensions.code` values clients branch on, each with its HTTP
 * status and what it tells the client. The one table from code to status, for
 * answers the gateway writes itself (refusals before GraphQL, the image and
 * export routes) and for errors that fail a whole GraphQL request; inside
 * GraphQL, a field's error leaves the response at 200 unless the error fails
 * the request as a whole (WHOLE_REQUEST). docs/api.md's table is generated
 * from it (`npm run docs`).
 */
export const ERROR_CODES = {
  BAD_REQUEST: {
    status: 400,
    meaning:
      'the HTTP request itself is unusable: malformed JSON or multipart body, a GET or multipart request without `Apollo-Require-Preflight` (CSRF prevention), a batched request, a subscription over HTTP',
  },
  BAD_USER_INPUT: {
    status: 400,
    meaning:
      'invalid arguments, empty or too long question, corrupt image, image under 10 px or over 200:1, bad cursor, a `webhookUrl` that is not http(s), carries credentials or leads to a non-public address (unless in `WEBHOOK_ALLOWED_HOSTS`) or is given while `WEBHOOK_SECRET` is unset; malformed multipart bodies answer HTTP 400',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'not a JPEG, PNG, WebP or GIF' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'a file over `MAX_UPLOAD_BYTES`, or more than `MAX_UPLOAD_FILES` files' },
  IMAGE_TOO_LARGE: { status: 413, meaning: 'more than `MAX_IMAGE_PIXELS` pixels' },
  NOT_FOUND: {
    status: 404,
    meaning: 'unknown image, job or conversation id in a mutation or subscription (`image(id)`, `job(id)`, `conversation(id)` return `null`)',
  },
  MODEL_NOT_CONFIGURED: { status: 503, meaning: 'no endpoint configured, or the endpoint refused the key or does not know the model' },
  MODEL_RATE_LIMITED: { status: 503, meaning: 'the endpoint kept answering 429 after retries; `extensions.retryAfter` in seconds when it said' },
  MODEL_UNAVAILABLE: { status: 503, meaning: '5xx, timeouts or connection failures after retries, or the circuit is open' },
  MODEL_BAD_RESPONSE: { status: 502, meaning: "the endpoint's reply could not be used" },
  MODEL_REJECTED: { status: 422, meaning: "the endpoint refused the content (e.g. DashScope's `data_inspection_failed`); not retried" },
  // The gateway's account with the model provider is out of quota or credit: the server cannot serve, the client did nothing wrong.
  MODEL_QUOTA_EXHAUSTED: {
    status: 503,
    meaning:
      "the model provider refused to bill the gateway's account (DashScope's `Arrearage`, `AllocationQuota.FreeTierOnly`, `insufficient_quota`, `PrepaidBillOverdue`); the provider's message is passed on, nothing is retried, and upstream calls pause for `QWEN_QUOTA_BACKOFF_SECONDS` (`extensions.retryAfter`)",
  },
  UNAUTHENTICATED: { status: 401, meaning: 'a key is required and missing, unknown or revoked (WebSocket close 4401)' },
  FORBIDDEN: {
    status: 403,
    meaning:
      '`importImage` of a non-public address; an image URL or export link whose signature is bad or expired, or whose expiry lies beyond `IMAGE_URL_TTL_SECONDS`, or an export link whose key was revoked; a browser request to `/graphql` or a WebSocket handshake from an origin not in `CORS_ORIGINS`; a non-admin key asking for other tenants; a `Host` the gateway does not answer for, see `ALLOWED_HOSTS` (HTTP 421)',
  },
  RATE_LIMITED: {
    status: 429,
    meaning:
      "the key's requests per minute are spent, an upstream call's token reservation does not fit in what is left of its tokens per day, or the tenant has too many active jobs; `extensions.retryAfter` in seconds",
  },
  QUERY_TOO_COMPLEX: {
    status: 400,
    meaning:
      'an operation over a depth, alias, cost, prompt, token or variables limit, or a stored-results list over `ANALYTICS_QUERY_TIMEOUT_MS` (`extensions.limit` names it)',
  },
  BLOB_MISSING: {
    status: 500,
    meaning:
      "an image's stored bytes are gone, or no longer match their sha256 (checked before every upstream call); uploading the same bytes again restores them",
  },
  // Another operation holds what this one needs (a conversation already being answered): retry after it.
  CONFLICT: { status: 409, meaning: 'a message sent to a conversation whose previous message is still being answered; retry once the reply is in' },
  // 507 Insufficient Storage: the server could not store what it was sent; the client did nothing wrong.
  STORAGE_FULL: {
    status: 507,
    meaning: 'the gateway could not write an upload: its disk is full, over quota or failing (`ENOSPC`, `EDQUOT`, `EIO`), or its database is full (`SQLITE_FULL`, PostgreSQL `53100`); nothing stored, retry later',
  },
  // Trusted documents (PERSISTED_DOCUMENTS): 200 as Apollo Server answers an unknown APQ hash, so APQ clients send the document next.
  PERSISTED_QUERY_NOT_FOUND: {
    status: 200,
    meaning:
      'a `documentId` (`sha256:<hex>`) that no trusted manifest lists; or an automatic persisted query whose hash the gateway does not know (yet): send the query with its hash (refused with `PERSISTED_QUERY_NOT_IN_LIST` when `PERSISTED_DOCUMENTS_ONLY` is on)',
  },
  PERSISTED_QUERY_NOT_IN_LIST: {
    status: 400,
    meaning:
      'with `PERSISTED_DOCUMENTS_ONLY=true`, a document sent as text (a free-form query, an APQ registration) that no trusted manifest lists: send its `documentId` instead (see [Trusted documents](browser-clients.md#trusted-documents))',
  },
  INTERNAL_SERVER_ERROR: { status: 500, meaning: 'anything unexpected; details are logged, never sent' },
} as const satisfies Record<string, CodeReference>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** What a client is told about a code: the HTTP status it answers with, and when it happens. */
export interface CodeReference {
  status: number;
  meaning: string;
}

export const HTTP_STATUS = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status])) as Record<ErrorCode, number>;

/**
 * Codes of errors raised by GraphQL itself (Apollo Server, graphql-js and the
 * gateway's validation rules) rather than as a GatewayError; the error
 * formatter passes them on unchanged, and docs/api.md lists them too.
 */
export const GRAPHQL_ERROR_CODES = {
  GRAPHQL_PARSE_FAILED: { status: 400, meaning: 'the operation is not valid GraphQL syntax' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, meaning: 'the operation does not match the schema (unknown field, wrong argument type, …)' },
  OPERATION_RESOLUTION_FAILURE: { status: 400, meaning: 'a missing or unknown `operationName` in a document with several operations' },
  INTROSPECTION_DISABLED: { status: 400, meaning: '`__schema` / `__type` while the explorer is off (`EXPLORER`); the schema is in `schema/schema.graphql`' },
  PERSISTED_QUERY_NOT_SUPPORTED: { status: 200, meaning: 'a persisted query sent to a server with persisted queries off' },
} as const satisfies Record<string, CodeReference>;

/** Codes that fail the whole GraphQL request wherever they are raised. */
const WHOLE_REQUEST = new Set<ErrorCode>(['PAYLOAD_TOO_LARGE', 'STORAGE_FULL', 'UNAUTHENTICATED']);

export interface GatewayErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  extensions?: Record<string, unknown>;
  /** The error fails the whole request, with its code's status (as the WHOLE_REQUEST codes always do). */
  failsRequest?: boolean;
  /** A status other than its code's (421 for a host the gateway does not answer for, 416 for a range outside the image, …). */
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
    this.httpStatus = options.httpStatus ?? (options.failsRequest || WHOLE_REQUEST.has(code) ? HTTP_STATUS[code] : undefined);
  }

}

/** The HTTP status a response failing with `error` gets: its own when it set one, else its code's (the one place this is decided). */
export const httpStatusOf = (error: GatewayError): number => error.httpStatus ?? HTTP_STATUS[error.code];

export const badInput = (message: string) => new GatewayError('BAD_USER_INPUT', message);
export const notFound = (what: string, id: string) => new GatewayError('NOT_FOUND', `No ${what} with id "${id}".`);

/** Whatever was thrown, as an Error (a rejection may carry anything). */
export const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
