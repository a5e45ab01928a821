import OpenAI from 'openai';
import { badResponse, ModelCallError } from './model-call-error.js';

/** DashScope's code when its content moderation refuses the input. */
const CONTENT_REFUSED_CODES = new Set(['data_inspection_failed', 'DataInspectionFailed', 'content_filter']);

/**
 * Model Studio's billing states (its error-code page): overdue payment (400),
 * the free tier used up with "free tier only" on (403), no credit left or a
 * prepaid bill overdue (429). Asking again will not help until someone pays.
 */
const QUOTA_CODES = new Set(['Arrearage', 'AllocationQuota.FreeTierOnly', 'insufficient_quota', 'PrepaidBillOverdue']);

/** Codes that mean "too many requests now" when they arrive without a status (an error event in a stream). */
const RATE_LIMIT_CODES = new Set(['limit_requests', 'rate_limit_exceeded', 'Throttling', 'Throttling.RateQuota', 'Throttling.User']);

/** The endpoint's code for an error, from its body (`error.code`, else `error.type`). */
function codeOf(error: InstanceType<typeof OpenAI.APIError>): string {
  return String(error.code ?? error.type ?? '');
}

/** The account behind this request cannot be billed: MODEL_QUOTA_EXHAUSTED, never retried. */
function isQuotaError(error: unknown): boolean {
  return error instanceof OpenAI.APIError && (QUOTA_CODES.has(String(error.code)) || QUOTA_CODES.has(String(error.type)));
}

/** The provider's own words, bounded: billing messages name the fix (pay, disable "free tier only"). */
function providerMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : error.message;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** What a refusal of `response_format` itself names (DashScope, vLLM, OpenAI wordings). */
const RESPONSE_FORMAT_REFUSED = /response_format|json_schema|structured output/i;

/**
 * The endpoint refused `response_format` itself (a 400/422 naming it, in its
 * message or `param`), so asking again in json_object mode may go through.
 * Any other 400 — input too long, an image of the wrong size, a content or
 * billing refusal — would fail the same way again: it is not retried.
 */
export function refusesResponseFormat(error: unknown): boolean {
  if (!(error instanceof OpenAI.APIError) || (error.status !== 400 && error.status !== 422)) return false;
  if (CONTENT_REFUSED_CODES.has(String(error.code)) || isQuotaError(error)) return false;
  return RESPONSE_FORMAT_REFUSED.test(`${String(error.param ?? '')} ${providerMessage(error)}`);
}

/**
 * Maps whatever the SDK threw (after its own retries) to the contract's codes.
 * Messages never echo the endpoint's raw body (it may hold prompts), save a
 * billing refusal's message: it is about the account and names the fix.
 */
export function toModelError(error: unknown, baseUrl: string): ModelCallError {
  if (error instanceof ModelCallError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ModelCallError('MODEL_UNAVAILABLE', `The model endpoint did not answer in time (${baseUrl}). Retry later.`, { cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new ModelCallError('MODEL_UNAVAILABLE', `The model endpoint could not be reached (${baseUrl}). Retry later.`, { cause: error });
  }
  if (error instanceof OpenAI.APIError) {
    if (isQuotaError(error)) {
      return new ModelCallError(
        'MODEL_QUOTA_EXHAUSTED',
        `The model provider refuses to bill this account (${codeOf(error)}): ${providerMessage(error)} Top up or settle the account, then retry.`,
        { cause: error },
      );
    }
    // An error event inside a stream: the reply had already begun (HTTP 200), so only its code tells what happened.
    if (error.status === undefined) return streamError(error);
    const status = error.status;
    if (status === 429) {
      const retryAfter = retryAfterSeconds(error.headers);
      return new ModelCallError('MODEL_RATE_LIMITED', 'The model endpoint is rate limiting this gateway. Retry later.', { cause: error, retryAfter });
    }
    if (status === 401 || status === 403) {
      return new ModelCallError('MODEL_NOT_CONFIGURED', 'The model endpoint refused the API key. Check QWEN_API_KEY (or DASHSCOPE_API_KEY) and QWEN_BASE_URL.', { cause: error });
    }
    if (status === 404) {
      return new ModelCallError('MODEL_NOT_CONFIGURED', 'The model endpoint does not know this model or path. Check QWEN_MODEL and QWEN_BASE_URL.', { cause: error });
    }
    if (CONTENT_REFUSED_CODES.has(String(error.code))) return contentRefused(error);
    if (status === 400 || status === 422) {
      return new ModelCallError('MODEL_REJECTED', 'The model endpoint rejected this request (the image or prompt is not acceptable to it).', { cause: error });
    }
    if (status >= 500 || status === 408 || status === 409) {
      return new ModelCallError('MODEL_UNAVAILABLE', `The model endpoint failed (HTTP ${status}). Retry later.`, { cause: error });
    }
    return new ModelCallError('MODEL_BAD_RESPONSE', `The model endpoint answered HTTP ${status}.`, { cause: error });
  }
  if (error instanceof SyntaxError) return badResponse('its reply was not valid JSON', error);
  return new ModelCallError('MODEL_UNAVAILABLE', `The model endpoint failed (${baseUrl}). Retry later.`, { cause: error });
}

/** An `{"error": …}` event that ended a streamed reply, by its code: a refusal, a rate limit, or a failure of the endpoint. */
function streamError(error: InstanceType<typeof OpenAI.APIError>): ModelCallError {
  const code = codeOf(error);
  if (CONTENT_REFUSED_CODES.has(code)) return contentRefused(error);
  if (RATE_LIMIT_CODES.has(code)) {
    return new ModelCallError('MODEL_RATE_LIMITED', 'The model endpoint is rate limiting this gateway. Retry later.', { cause: error });
  }
  if (error.type === 'invalid_request_error') {
    return new ModelCallError('MODEL_REJECTED', `The model endpoint rejected this request (${code || 'invalid request'}).`, { cause: error });
  }
  return new ModelCallError('MODEL_UNAVAILABLE', `The model endpoint failed while streaming its reply (${code || 'no code'}). Retry later.`, { cause: error });
}

function contentRefused(cause: unknown): ModelCallError {
  return new ModelCallError('MODEL_REJECTED', 'The model endpoint refused this content (content inspection). Try another image or question.', { cause, contentFiltered: true });
}
