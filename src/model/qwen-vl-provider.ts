import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import pLimit, { type LimitFunction } from 'p-limit';
import type { ModelAnswer, ModelImage, ModelProvider, ModelResult, ModelUsage } from './provider.js';
import { PACKED_SYSTEM_PROMPT, chunk, packPrompts, unpackAnswers } from './packing.js';
import { addUsage, splitUsage, ZERO_USAGE } from './usage.js';
import { toDataUrl } from './upstream-image.js';
import { badResponse, toModelError } from './qwen-errors.js';

export interface QwenVlOptions {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  maxConcurrency: number;
  maxPixels: number;
  maxPromptsPerCall: number;
}

interface Completion {
  content: string;
  usage: ModelUsage;
  latencyMs: number;
}

/**
 * Qwen VL over the OpenAI-compatible Chat Completions API (DashScope, vLLM,
 * Ollama, LM Studio, SGLang). The SDK's own retry loop is used — it backs off
 * with jitter and honours Retry-After — but with our timeout and retry count,
 * not its 10-minute default.
 */
export class QwenVlProvider implements ModelProvider {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly limit: LimitFunction;

  constructor(private readonly options: QwenVlOptions) {
    this.model = options.model;
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      // Local servers need no key, but the SDK insists on one.
      apiKey: options.apiKey ?? 'no-key',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
    this.limit = pLimit(options.maxConcurrency);
  }

  async answer(image: ModelImage, prompts: readonly string[]): Promise<ModelResult[]> {
    if (prompts.length === 0) return [];
    let imageUrl: string;
    try {
      imageUrl = await toDataUrl(image, this.options.maxPixels);
    } catch (error) {
      return prompts.map(() => new Error('The stored image could not be prepared for the model.', { cause: error }));
    }
    const groups = chunk(prompts, this.options.maxPromptsPerCall);
    const results = await Promise.all(groups.map((group) => this.answerGroup(imageUrl, group)));
    return results.flat();
  }

  private async answerGroup(imageUrl: string, prompts: string[]): Promise<ModelResult[]> {
    if (prompts.length === 1) return [await this.answerOne(imageUrl, prompts[0]!, ZERO_USAGE)];
    let packed: Completion | undefined;
    try {
      packed = await this.complete(imageUrl, packPrompts(prompts), true);
    } catch (error) {
      const failure = toModelError(error, this.options.baseUrl);
      // An unusable packed reply is retried prompt by prompt; real failures are not.
      if (failure.code !== 'MODEL_BAD_RESPONSE') return prompts.map(() => failure);
    }
    const answers = packed ? unpackAnswers(packed.content, prompts.length) : null;
    const usages = splitUsage(packed?.usage ?? ZERO_USAGE, prompts.length);
    if (packed && answers) return answers.map((text, i) => ({ text, usage: usages[i]!, latencyMs: packed.latencyMs }));
    // The reply broke the contract: ask one by one. The failed call was billed
    // too, so its usage is carried by the answers that replace it.
    return Promise.all(prompts.map((prompt, i) => this.answerOne(imageUrl, prompt, usages[i]!)));
  }

  private async answerOne(imageUrl: string, prompt: string, carriedUsage: ModelUsage): Promise<ModelResult> {
    try {
      const completion = await this.complete(imageUrl, prompt, false);
      if (completion.content.trim() === '') throw badResponse('the answer was empty');
      return { text: completion.content, usage: addUsage(completion.usage, carriedUsage), latencyMs: completion.latencyMs } satisfies ModelAnswer;
    } catch (error) {
      return toModelError(error, this.options.baseUrl);
    }
  }

  private complete(imageUrl: string, text: string, packed: boolean): Promise<Completion> {
    const messages: ChatCompletionMessageParam[] = [
      ...(packed ? [{ role: 'system' as const, content: PACKED_SYSTEM_PROMPT }] : []),
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: imageUrl } },
          { type: 'text', text },
        ],
      },
    ];
    return this.limit(async () => {
      const started = performance.now();
      const response = await this.client.chat.completions.create({ model: this.model, messages });
      return readCompletion(response, Math.round(performance.now() - started));
    });
  }
}

function readCompletion(response: ChatCompletion, latencyMs: number): Completion {
  // A 200 with a non-JSON body reaches us as a string, not an object.
  if (typeof response !== 'object' || response === null || !Array.isArray(response.choices)) {
    throw badResponse('it was not a chat completion');
  }
  const content = response.choices[0]?.message?.content;
  if (typeof content !== 'string') throw badResponse('it had no answer text');
  const usage = response.usage;
  const promptTokens = usage?.prompt_tokens ?? 0;
  const completionTokens = usage?.completion_tokens ?? 0;
  return {
    content,
    latencyMs,
    usage: {
      promptTokens,
      completionTokens,
      totalTokens: usage?.total_tokens ?? promptTokens + completionTokens,
      cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    },
  };
}
