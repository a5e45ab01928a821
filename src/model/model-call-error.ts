/**
 * The provider boundary's own error: what went wrong with a model call, in
 * terms a caller can act on (modelled on the Vercel AI SDK's APICallError).
 * `code` is one of the API's model codes so the edge maps it without a
 * table (see modules/answers/model-errors.ts); nothing here knows GraphQL or HTTP.
 */
import type { ErrorCode } from '../platform/errors.js';
import type { ModelUsage } from './usage.js';

/** The model codes: a subset of the codes a client can see (ErrorCode), so the edge passes them on as they are. */
export type ModelErrorCode = Extract<
  ErrorCode,
  | 'MODEL_NOT_CONFIGURED'
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_UNAVAILABLE'
  | 'MODEL_BAD_RESPONSE'
  | 'MODEL_REJECTED'
  /** The provider will not bill the account (overdue, out of credit, free tier used up): not retried, no fallback. */
  | 'MODEL_QUOTA_EXHAUSTED'
>;

export interface ModelCallErrorOptions {
  cause?: unknown;
  /** Seconds after which asking again may succeed (Retry-After, an open circuit). */
  retryAfter?: number | undefined;
  /** What the endpoint billed for the replies that ended in this failure: an unusable reply is paid for too. */
  billed?: ModelUsage | undefined;
  /** MODEL_REJECTED by the provider's own content filter (DashScope's data_inspection_failed), not by a rule about the request. */
  contentFiltered?: boolean;
}

export class ModelCallError extends Error {
  readonly code: ModelErrorCode;
  readonly retryAfter: number | undefined;
  readonly billed: ModelUsage | undefined;
  readonly contentFiltered: boolean;

  constructor(code: ModelErrorCode, message: string, options: ModelCallErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ModelCallError';
    this.code = code;
    this.retryAfter = options.retryAfter;
    this.billed = options.billed;
    this.contentFiltered = options.contentFiltered ?? false;
  }

  /** Asking again later may succeed: the endpoint was unavailable or rate limiting, not refusing this content. */
  get isRetryable(): boolean {
    return this.code === 'MODEL_UNAVAILABLE' || this.code === 'MODEL_RATE_LIMITED';
  }
}

export function deadlineExceeded(deadlineMs: number): ModelCallError {
  return new ModelCallError(
    'MODEL_UNAVAILABLE',
    `The model did not answer within ${deadlineMs} ms (QWEN_DEADLINE_MS, retries and fallbacks included): deadline exceeded. Retry later.`,
  );
}

/** The error for work cut short by `signal`: its reason when that is a model error (the deadline), else a generic one. */
export function abortedError(signal: AbortSignal): ModelCallError {
  if (signal.reason instanceof ModelCallError) return signal.reason;
  return new ModelCallError('MODEL_UNAVAILABLE', 'The model request was cancelled before the endpoint answered. Retry later.', { cause: signal.reason });
}

export function badResponse(why: string, cause?: unknown): ModelCallError {
  return new ModelCallError('MODEL_BAD_RESPONSE', `The model endpoint gave an unusable reply: ${why}.`, { cause });
}
