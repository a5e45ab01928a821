import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import pLimit, { type LimitFunction } from 'p-limit';
import type { AnswerOptions, ModelAnswer, ModelImage, ModelProvider, ModelResult, ModelUsage } from './provider.js';
import { abortedError, badResponse, type ModelCallError } from './model-call-error.js';
import { countingFetch, type UpstreamRecorder } from './upstream-metrics.js';
import { PACKED_SYSTEM_PROMPT, chunk, packPrompts, unpackAnswers } from './packing.js';
import { addUsage, splitUsage, ZERO_USAGE } from './usage.js';
import { toDataUrl } from './upstream-image.js';
import { toModelError } from './qwen-errors.js';

export interface QwenVlOptions {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  maxConcurrency: number;
  maxPixels: number;
  maxPromptsPerCall: number;
  /**
   * The completion each answer may take (TOKEN_RESERVE_PER_ANSWER): a call asks
   * for at most this many tokens per prompt in it (max_tokens), so no reply can
   * bill more than the token budget reserved for it.
   */
  completionTokensPerAnswer: number;
  /** Counts every HTTP call (SDK retries included) and the tokens billed; optional. */
  recorder?: UpstreamRecorder;
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
  private readonly recorder: UpstreamRecorder | undefined;

  constructor(private readonly options: QwenVlOptions) {
    this.model = options.model;
    this.recorder = options.recorder;
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      // Local servers need no key, but the SDK insists on one.
      apiKey: options.apiKey ?? 'no-key',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      ...(options.recorder ? { fetch: countingFetch(options.recorder, options.baseUrl) } : {}),
    });
    this.limit = pLimit(options.maxConcurrency);
  }

  /** `signal` aborts the in-flight request and the SDK's remaining retries; cut-short prompts fail with its reason. */
  async answer(image: ModelImage, prompts: readonly string[], { signal }: AnswerOptions = {}): Promise<ModelResult[]> {
    if (prompts.length === 0) return [];
    let imageUrl: string;
    try {
      imageUrl = await toDataUrl(image, this.options.maxPixels);
    } catch (error) {
      return prompts.map(() => new Error('The stored image could not be prepared for the model.', { cause: error }));
    }
    const groups = chunk(prompts, this.options.maxPromptsPerCall);
    const results = await Promise.all(groups.map((group) => this.answerGroup(imageUrl, group, signal)));
    return results.flat();
  }

  private async answerGroup(imageUrl: string, prompts: string[], signal: AbortSignal | undefined): Promise<ModelResult[]> {
    if (prompts.length === 1) return [await this.answerOne(imageUrl, prompts[0]!, ZERO_USAGE, signal)];
    let packed: Completion | undefined;
    try {
      packed = await this.complete(imageUrl, prompts, signal);
    } catch (error) {
      const failure = this.failure(error, signal);
      // An unusable packed reply is retried prompt by prompt; real failures are not.
      if (failure.code !== 'MODEL_BAD_RESPONSE') return prompts.map(() => failure);
    }
    const answers = packed ? unpackAnswers(packed.content, prompts.length) : null;
    const usages = splitUsage(packed?.usage ?? ZERO_USAGE, prompts.length);
    if (packed && answers) return answers.map((text, i) => ({ text, usage: usages[i]!, latencyMs: packed.latencyMs }));
    // The reply broke the contract: ask one by one. The failed call was billed
    // too, so its usage is carried by the answers that replace it.
    return Promise.all(prompts.map((prompt, i) => this.answerOne(imageUrl, prompt, usages[i]!, signal)));
  }

  private async answerOne(imageUrl: string, prompt: string, carriedUsage: ModelUsage, signal: AbortSignal | undefined): Promise<ModelResult> {
    try {
      const completion = await this.complete(imageUrl, [prompt], signal);
      if (completion.content.trim() === '') throw badResponse('the answer was empty');
      return { text: completion.content, usage: addUsage(completion.usage, carriedUsage), latencyMs: completion.latencyMs } satisfies ModelAnswer;
    } catch (error) {
      return this.failure(error, signal);
    }
  }

  /** An abort surfaces from the SDK as APIUserAbortError (or a raw AbortError mid-body): report why it was aborted instead. */
  private failure(error: unknown, signal: AbortSignal | undefined): ModelCallError {
    return signal?.aborted ? abortedError(signal) : toModelError(error, this.options.baseUrl);
  }

  /** One upstream call: a single prompt as it is, several packed (packing.ts). */
  private complete(imageUrl: string, prompts: readonly string[], signal: AbortSignal | undefined): Promise<Completion> {
    const packed = prompts.length > 1;
    const text = packed ? packPrompts(prompts) : prompts[0]!;
    const maxTokens = this.options.completionTokensPerAnswer * prompts.length;
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
      let response: ChatCompletion;
      try {
        response = await this.client.chat.completions.create({ model: this.model, messages, max_tokens: maxTokens }, { signal });
      } catch (error) {
        // Failed HTTP attempts were counted by the counting fetch (an APIError
        // of any kind means the request failed or never went out); anything
        // else broke while reading a 2xx body, which that fetch let through.
        if (!(error instanceof OpenAI.APIError)) this.recorder?.call(this.failure(error, signal).code);
        throw error;
      }
      this.recordTokens(response);
      try {
        const completion = readCompletion(response, Math.round(performance.now() - started));
        this.recorder?.call('ok');
        return completion;
      } catch (error) {
        this.recorder?.call(this.failure(error, signal).code);
        throw error;
      }
    });
  }

  /** Billed even when the reply turns out unusable. */
  private recordTokens(response: ChatCompletion): void {
    if (!this.recorder || typeof response !== 'object' || response === null) return;
    this.recorder.tokens(response.usage?.prompt_tokens ?? 0, response.usage?.completion_tokens ?? 0);
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
