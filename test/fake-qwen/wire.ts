/** OpenAI Chat Completions wire shapes, as DashScope compatible mode and vLLM send them. */
import { randomBytes } from 'node:crypto';

export interface OpenAIError {
  error: { message: string; type: string; code: string | null; param: string | null };
}

export function errorBody(message: string, type: string, code: string | null): OpenAIError {
  return { error: { message, type, code, param: null } };
}

/** Per-status bodies shaped like DashScope's compatible-mode errors. */
export function defaultErrorBody(status: number): OpenAIError {
  switch (status) {
    case 400:
      // DashScope's content-moderation refusal: the interesting 400 for the gateway.
      return errorBody('Input data may contain inappropriate content.', 'data_inspection_failed', 'data_inspection_failed');
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

export interface UsageCounts {
  prompt: number;
  completion: number;
  cached: number;
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
  };
}

export function completionBody(model: string, content: string | null, usage: UsageCounts, noChoices = false) {
  return {
    id: newId('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: noChoices
      ? []
      : [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
    usage: usageBody(usage),
    system_fingerprint: null,
  };
}

/** How a streamed reply is cut: words with their following whitespace, so the pieces join back to the text exactly. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** The events of one streamed reply, as DashScope and vLLM send them with `stream: true`. */
export function chunkBodies(model: string, content: string | null, usage: UsageCounts, includeUsage: boolean, noChoices = false) {
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
  const delta = (piece: string, i: number) => ({ ...(i === 0 ? { role: 'assistant' } : {}), content: piece });
  const pieces = noChoices ? [] : streamPieces(content ?? '');
  return [
    ...pieces.map((piece, i) => chunk([{ index: 0, delta: delta(piece, i), logprobs: null, finish_reason: null }], null)),
    ...(noChoices ? [] : [chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], null)]),
    ...(includeUsage ? [chunk([], usageBody(usage))] : []),
  ];
}

export function modelsBody(model: string) {
  return {
    object: 'list',
    data: [{ id: model, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: 'system' }],
  };
}
