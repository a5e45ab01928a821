import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { badResponse } from './model-call-error.js';
import type { ModelUsage } from './provider.js';
import { ZERO_USAGE } from './usage.js';
import { toFinishReason, type FinishReason } from './finish-reason.js';

/** What one upstream call produced, however it arrived (whole or streamed). */
export interface Completion {
  /** The answer: a thinking model's reasoning (`reasoning_content`) is not part of it. */
  content: string;
  /** Billed; its completion tokens include the reasoning. */
  usage: ModelUsage;
  /** Why the reply ended (`finish_reason`), null when the endpoint did not say. */
  finishReason: FinishReason | null;
  /** Of those completion tokens, the reasoning's (`completion_tokens_details.reasoning_tokens`). */
  reasoningTokens: number;
}

function reasoningTokensOf(usage: CompletionUsage | null | undefined): number {
  return usage?.completion_tokens_details?.reasoning_tokens ?? 0;
}

export function toModelUsage(usage: CompletionUsage | null | undefined): ModelUsage {
  if (!usage) return ZERO_USAGE;
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

/** A whole reply; throws MODEL_BAD_RESPONSE when it is not a chat completion with answer text. */
export function readCompletion(response: ChatCompletion): Completion {
  // A 200 with a non-JSON body reaches us as a string, not an object.
  if (typeof response !== 'object' || response === null || !Array.isArray(response.choices)) {
    throw badResponse('it was not a chat completion');
  }
  const choice = response.choices[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') throw badResponse('it had no answer text');
  return { content, usage: toModelUsage(response.usage), finishReason: toFinishReason(choice?.finish_reason), reasoningTokens: reasoningTokensOf(response.usage) };
}

/**
 * A streamed reply: each content delta goes to `onDelta` as it arrives
 * (`reasoning_content` deltas do not: reasoning is not the answer); the
 * usage comes from the chunk that carries it (the last one, with
 * `stream_options.include_usage`), zero when the endpoint sent none.
 */
export async function readStream(
  chunks: AsyncIterable<ChatCompletionChunk>,
  onDelta: (delta: string) => void,
): Promise<Completion> {
  let content = '';
  let usage: CompletionUsage | null | undefined;
  let finishReason: FinishReason | null = null;
  for await (const chunk of chunks) {
    if (typeof chunk !== 'object' || chunk === null) throw badResponse('a streamed chunk was not an object');
    if (chunk.usage) usage = chunk.usage;
    finishReason = toFinishReason(chunk.choices?.[0]?.finish_reason) ?? finishReason;
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === 'string' && delta !== '') {
      content += delta;
      onDelta(delta);
    }
  }
  return { content, usage: toModelUsage(usage), finishReason, reasoningTokens: reasoningTokensOf(usage) };
}
