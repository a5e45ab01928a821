import OpenAI from 'openai';
import { badResponse, ModelCallError } from './model-call-error.js';

/** DashScope's code when its content moderation refuses the input. */
const CONTENT_REFUSED_CODES = new Set(['data_inspection_failed', 'DataInspectionFailed', 'content_filter']);

function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * The endpoint refused the request itself (400/422), not its content: an
 * unsupported parameter such as `response_format: json_schema`, say.
 */
export function refusesRequest(error: unknown): boolean {
  return error instanceof OpenAI.APIError && (error.status === 400 || error.status === 422) && !CONTENT_REFUSED_CODES.has(String(error.code));
}

/**
 * Maps whatever the SDK threw (after its own retries) to the contract's codes.
 * Messages never echo the endpoint's raw body: it may hold prompts.
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
    const status = error.status ?? 0;
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
    if (status === 400 || status === 422 || CONTENT_REFUSED_CODES.has(String(error.code))) {
      const refused = CONTENT_REFUSED_CODES.has(String(error.code));
      return new ModelCallError(
        'MODEL_REJECTED',
        refused
          ? 'The model endpoint refused this content (content inspection). Try another image or question.'
          : 'The model endpoint rejected this request (the image or prompt is not acceptable to it).',
        { cause: error },
      );
    }
    if (status >= 500 || status === 408 || status === 409) {
      return new ModelCallError('MODEL_UNAVAILABLE', `The model endpoint failed (HTTP ${status}). Retry later.`, { cause: error });
    }
    return new ModelCallError('MODEL_BAD_RESPONSE', `The model endpoint answered HTTP ${status}.`, { cause: error });
  }
  if (error instanceof SyntaxError) return badResponse('its reply was not valid JSON', error);
  return new ModelCallError('MODEL_UNAVAILABLE', `The model endpoint failed (${baseUrl}). Retry later.`, { cause: error });
}
