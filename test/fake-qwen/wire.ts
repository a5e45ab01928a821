/** OpenAI Chat Completions wire shapes, as DashScope compatible mode and vLLM send them. */
import { randomBytes } from 'node:crypto';

/** DashScope compatible mode's error body: the OpenAI shape plus the request's id. */
export interface OpenAIError {
  error: { code: string | null; param: string | null; message: string; type: string };
  request_id: string;
}

export function errorBody(message: string, type: string, code: string | null): OpenAIError {
  return { error: { code, param: null, message, type }, request_id: newId('req') };
}

/** Model Studio's billing refusals (its error-code page), with the HTTP status each arrives with. */
export const BILLING_ERRORS = {
  Arrearage: { status: 400, message: 'Access denied, please make sure your account is in good standing.' },
  'AllocationQuota.FreeTierOnly': {
    status: 403,
    message: 'The free tier of the model has been exhausted. If you wish to continue access the model on a paid basis, please disable the "use free tier only" mode in the management console.',
  },
  insufficient_quota: { status: 429, message: 'You exceeded your current quota, please check your plan and billing details.' },
  PrepaidBillOverdue: { status: 429, message: 'The prepaid bill is overdue.' },
} as const;

export type BillingCode = keyof typeof BILLING_ERRORS;

export function billingErrorBody(code: BillingCode): OpenAIError {
  // DashScope sends these codes as the type too.
  return errorBody(BILLING_ERRORS[code].message, code, code);
}

/** DashScope's refusal of a max_tokens above the model's output cap. */
export function maxTokensRangeBody(cap: number): OpenAIError {
  return errorBody(`Range of max_tokens should be [1, ${cap}]`, 'invalid_request_error', 'invalid_parameter_error');
}

/** Per-status bodies shaped like DashScope's compatible-mode errors. */
export function defaultErrorBody(status: number): OpenAIError {
  switch (status) {
    case 400:
      // DashScope's content-moderation refusal: the interesting 400 for the gateway.
      return inspectionBody('input');
    case 401:
      return errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    case 429:
      return errorBody('Requests rate limit exceeded, please try again later.', 'limit_requests', 'limit_requests');
    case 503:
      return errorBody('The service is temporarily unavailable.', 'service_unavailable', 'service_unavailable');
    default:
      return status >= 500
        ? errorBody('An internal error has occurred, please try again later.', 'internal_error', 'internal_error')
        : errorBody(`Request failed with status ${status}.`, 'invalid_request_error', null);
  }
}

/** `finish_reason`: `stop` for a whole reply, `length` when max_tokens cut it. */
export type FinishReason = 'stop' | 'length';

/**
 * A reply as the model would write it with `maxTokens` of room, when the
 * whole of it takes `needed` tokens: the share of its text that fits, with
 * finish_reason `length` and completion_tokens = max_tokens (DashScope's
 * behaviour); the whole reply, `stop`, when it fits.
 */
export function withinMaxTokens(content: string, needed: number, maxTokens: number | null): { content: string; finishReason: FinishReason; completionTokens: number } {
  if (maxTokens === null || maxTokens >= needed) return { content, finishReason: 'stop', completionTokens: needed };
  return { content: content.slice(0, Math.floor((content.length * maxTokens) / needed)), finishReason: 'length', completionTokens: maxTokens };
}

/**
 * DashScope's 400s about the input itself (not `response_format`): asking
 * again in another response format would fail the same way.
 */
export const INPUT_ERRORS = {
  'input-too-long': 'Range of input length should be [1, 129024]',
  'image-too-small': 'The image length and width do not meet the model restrictions. [height:10 or width:10 must be larger than 10]',
} as const;

export type InputError = keyof typeof INPUT_ERRORS;

export function inputErrorBody(which: InputError): OpenAIError {
  return errorBody(INPUT_ERRORS[which], 'invalid_request_error', 'invalid_parameter_error');
}

/** DashScope's content inspection refusing the input (the prompt or image) or the model's output. */
export function inspectionBody(side: 'input' | 'output'): OpenAIError {
  return errorBody(`${side === 'input' ? 'Input' : 'Output'} data may contain inappropriate content.`, 'data_inspection_failed', 'data_inspection_failed');
}

export interface UsageCounts {
  prompt: number;
  /** The answer's tokens and the reasoning's together, as DashScope bills them. */
  completion: number;
  cached: number;
  /** Of `completion`, the reasoning's (a thinking model's); reported only when present. */
  reasoning?: number;
}

export function usageFor(promptCount: number, override?: { prompt: number; completion: number; cached?: number }): UsageCounts {
  const n = Math.max(1, promptCount);
  return override
    ? { prompt: override.prompt, completion: override.completion, cached: override.cached ?? 0 }
    : { prompt: 1000 + 10 * n, completion: 20 * n, cached: 0 };
}

export const newId = (prefix: string): string => `${prefix}-${randomBytes(12).toString('hex')}`;

function usageBody(usage: UsageCounts) {
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cached },
    ...(usage.reasoning ? { completion_tokens_details: { reasoning_tokens: usage.reasoning } } : {}),
  };
}

/**
 * DashScope's 400s to a non-streaming call of a model that thinks (its
 * error-code page): QVQ's, and the Qwen3 thinking models'.
 */
export function streamOnlyBody(model: string): OpenAIError {
  const message = /qvq/i.test(model)
    ? 'This model only support stream mode, please enable the stream parameter to access the model.'
    : 'parameter.enable_thinking must be set to false for non-streaming calls';
  return errorBody(message, 'invalid_request_error', 'invalid_parameter_error');
}

export function completionBody(model: string, content: string | null, usage: UsageCounts, noChoices = false, finishReason: FinishReason = 'stop') {
  return {
    id: newId('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: noChoices
      ? []
      : [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: finishReason }],
    usage: usageBody(usage),
    system_fingerprint: null,
  };
}

/** How a streamed reply is cut: words with their following whitespace, so the pieces join back to the text exactly. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * The events of one streamed reply, as DashScope and vLLM send them with
 * `stream: true`; a thinking model's `reasoning` comes first, as
 * `reasoning_content` deltas (content null), then the answer's.
 */
export function chunkBodies(
  model: string,
  content: string | null,
  usage: UsageCounts,
  includeUsage: boolean,
  noChoices = false,
  reasoning: string | null = null,
  finishReason: FinishReason = 'stop',
) {
  const id = newId('chatcmpl');
  const created = Math.floor(Date.now() / 1000);
  // With include_usage every chunk carries `usage: null`, and one more chunk (no choices) the totals.
  const chunk = (choices: unknown[], chunkUsage: ReturnType<typeof usageBody> | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
    ...(includeUsage ? { usage: chunkUsage } : {}),
    system_fingerprint: null,
  });
  const thought = reasoning === null || noChoices ? [] : streamPieces(reasoning);
  const withRole = (i: number) => (i === 0 ? { role: 'assistant' } : {});
  const delta = (piece: string, i: number) => ({ ...withRole(i + thought.length), content: piece, ...(reasoning === null ? {} : { reasoning_content: null }) });
  const thinking = (piece: string, i: number) => ({ ...withRole(i), content: null, reasoning_content: piece });
  const pieces = noChoices ? [] : streamPieces(content ?? '');
  return [
    ...thought.map((piece, i) => chunk([{ index: 0, delta: thinking(piece, i), logprobs: null, finish_reason: null }], null)),
    ...pieces.map((piece, i) => chunk([{ index: 0, delta: delta(piece, i), logprobs: null, finish_reason: null }], null)),
    ...(noChoices ? [] : [chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }], null)]),
    ...(includeUsage ? [chunk([], usageBody(usage))] : []),
  ];
}

export function modelsBody(model: string) {
  return {
    object: 'list',
    data: [{ id: model, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'system' }],
  };
}
