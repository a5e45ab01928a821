import type { ServerResponse } from 'node:http';
import type { ModelUsage } from '../../model/usage.js';
import type { Completion } from './chat-completion.service.js';
import type { OpenAiErrorBody } from './openai-errors.js';

/**
 * The reply in OpenAI's wire format: a `chat.completion`, or server-sent
 * `chat.completion.chunk` events ending with `data: [DONE]` (the usage in a
 * last chunk with no choices when `stream_options.include_usage` asks).
 */

export interface Reply {
  /** `chatcmpl-…`, the same for every chunk of one reply. */
  id: string;
  /** Seconds since the epoch. */
  created: number;
}

function usageOf(usage: ModelUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

export function completionBody(reply: Reply, completion: Completion) {
  return {
    id: reply.id,
    object: 'chat.completion' as const,
    created: reply.created,
    model: completion.model,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: completion.text, refusal: null }, finish_reason: completion.finishReason ?? 'stop', logprobs: null }],
    usage: usageOf(completion.usage),
  };
}

/** Writes one reply's events as they come. */
export class ChunkWriter {
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly reply: Reply,
    private readonly model: string,
  ) {}

  delta(text: string): void {
    // The first chunk names the role, as OpenAI's do.
    const delta = this.started ? { content: text } : { role: 'assistant', content: text };
    this.started = true;
    this.event(this.chunk([{ index: 0, delta, finish_reason: null, logprobs: null }]));
  }

  finish(completion: Completion, includeUsage: boolean): void {
    this.event(this.chunk([{ index: 0, delta: {}, finish_reason: completion.finishReason ?? 'stop', logprobs: null }]));
    if (includeUsage) this.event({ ...this.chunk([]), usage: usageOf(completion.usage) });
    this.done();
  }

  /** A failure once streaming began: an error event (the SDKs raise it), then the end. */
  fail(body: OpenAiErrorBody): void {
    this.event(body);
    this.done();
  }

  private chunk(choices: unknown[]) {
    return { id: this.reply.id, object: 'chat.completion.chunk', created: this.reply.created, model: this.model, choices };
  }

  private event(data: unknown): void {
    this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  private done(): void {
    this.res.end('data: [DONE]\n\n');
  }
}
