import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import pLimit, { type LimitFunction } from 'p-limit';
import type { AnswerOptions, ChatOptions, ChatRequest, ModelAnswer, ModelImage, ModelProvider, ModelResult, ModelUsage } from './provider.js';
import { abortedError, badResponse, ModelCallError } from './model-call-error.js';
import { circuitLabel, type UpstreamRecorder } from './upstream-metrics.js';
import { JsonObjectFallbacks } from './json-object-fallbacks.js';
import { upstreamFetch } from './upstream-fetch.js';
import type { UpstreamSlots } from './upstream-slots.js';
import { packedSystemPrompt, packPrompts, plainAnswer, unpackReplies } from './packing.js';
import { isStructured, structuredAnswer, withSchema, type ModelPrompt, type StructuredPrompt } from './reply-format.js';
import { addUsage, splitUsage, ZERO_USAGE } from './usage.js';
import { toDataUrl } from './upstream-image.js';
import { asError } from '../platform/errors.js';
import { chunk } from '../platform/collections.js';
import { refusesResponseFormat, toModelError } from './qwen-errors.js';
import { chatMessages, imageMessage } from './chat-messages.js';
import { outputCapRefused, promptsPerCall } from './output-cap.js';
import { readCompletion, readStream, toModelUsage, type Completion } from './completion-reader.js';
import { refusesNonStreaming, thinkingPlan, type ThinkingPlan } from './thinking.js';

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
  /** The model's output cap (output-cap.ts), null when unknown: packs are split to fit under it. */
  maxOutputTokens: number | null;
  /** QWEN_HIGH_RESOLUTION_IMAGES: sends `vl_high_resolution_images: true`. */
  highResolutionImages: boolean;
  /** QWEN_THINKING_BUDGET (thinking.ts); null or absent: unset. */
  thinkingBudget?: number | null;
  /** Counts every HTTP call (SDK retries included) and the tokens billed; optional. */
  recorder?: UpstreamRecorder;
  /** QWEN_GLOBAL_MAX_CONCURRENCY: a slot shared with the other replicas, taken inside this process's own limit. */
  slots?: UpstreamSlots;
  /** Where the endpoints that took json_object after refusing json_schema are kept; absent: this provider's memory only. */
  jsonObjectFallbacks?: JsonObjectFallbacks;
  /** The HTTP client beneath the SDK's requests: a traced one when tracing is on (traced-fetch.ts); global fetch otherwise. */
  fetch?: typeof fetch;
}

interface TimedCompletion extends Completion {
  latencyMs: number;
}

interface CallOptions {
  /** Streams the reply, passing each piece here. */
  onDelta?: (delta: string) => void;
  responseFormat?: ChatCompletionCreateParamsNonStreaming['response_format'];
  /** The prompts the request carries, as reported to `onCall`. */
  prompts?: readonly ModelPrompt[];
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
  /** Endpoints that answered 400 to `response_format: json_schema` and took json_object, this one's label among them when it did. */
  private readonly jsonObjectFallbacks: JsonObjectFallbacks;
  private readonly label: string;
  /** The output cap: configured or the family's, lowered when the endpoint names a smaller one (a 400 on max_tokens). */
  private outputCap: number | null;
  /** How this model thinks; `thinks` is also learnt from a refusal of a non-streaming request, for the life of the process. */
  private thinking: ThinkingPlan;

  constructor(private readonly options: QwenVlOptions) {
    this.model = options.model;
    this.recorder = options.recorder;
    this.jsonObjectFallbacks = options.jsonObjectFallbacks ?? new JsonObjectFallbacks();
    this.label = circuitLabel(options.baseUrl, options.model);
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      // Local servers need no key, but the SDK insists on one.
      apiKey: options.apiKey ?? 'no-key',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
      fetch: upstreamFetch(options.baseUrl, options.recorder, options.fetch),
    });
    this.limit = pLimit(options.maxConcurrency);
    this.outputCap = options.maxOutputTokens;
    this.thinking = thinkingPlan(options.model, options.thinkingBudget ?? null);
  }

  /** Prompts about one image in groups of what one call may carry under the output cap. */
  private groups(prompts: readonly ModelPrompt[], options: AnswerOptions): ModelPrompt[][] {
    return chunk(prompts, promptsPerCall(this.options.maxPromptsPerCall, this.perAnswer(options), this.outputCap));
  }

  /** max_tokens per answer: the work's own (a cut reply asked again with more room), else TOKEN_RESERVE_PER_ANSWER. */
  private perAnswer(options: AnswerOptions): number {
    return options.completionTokensPerAnswer ?? this.options.completionTokensPerAnswer;
  }

  /** `signal` aborts the in-flight request and the SDK's remaining retries; cut-short prompts fail with its reason. */
  async answer(image: ModelImage, prompts: readonly ModelPrompt[], options: AnswerOptions = {}): Promise<ModelResult[]> {
    if (prompts.length === 0) return [];
    let imageUrl: string;
    try {
      imageUrl = await toDataUrl(image, this.options.maxPixels);
    } catch (error) {
      return prompts.map(() => asError(error));
    }
    return this.answerGroups(imageUrl, this.groups(prompts, options), options, true);
  }

  private async answerGroups(imageUrl: string, groups: ModelPrompt[][], options: AnswerOptions, mayResplit: boolean): Promise<ModelResult[]> {
    const results = await Promise.all(groups.map((group) => this.answerGroup(imageUrl, group, options, mayResplit)));
    return results.flat();
  }

  /** `mayResplit`: a pack refused for its max_tokens is split to fit the cap the endpoint named and asked again, once. */
  private async answerGroup(imageUrl: string, prompts: ModelPrompt[], options: AnswerOptions, mayResplit: boolean): Promise<ModelResult[]> {
    if (prompts.length === 1) return [await this.answerOne(imageUrl, prompts[0]!, ZERO_USAGE, options)];
    let packed: TimedCompletion | undefined;
    try {
      packed = await this.completePacked(imageUrl, prompts, options);
    } catch (error) {
      const asked = this.perAnswer(options) * prompts.length;
      if (mayResplit && !options.signal?.aborted && this.learnOutputCap(error, asked)) return this.answerGroups(imageUrl, this.groups(prompts, options), options, false);
      const failure = this.failure(error, options.signal);
      // An unusable packed reply is retried prompt by prompt; real failures are not.
      if (failure.code !== 'MODEL_BAD_RESPONSE') return prompts.map(() => failure);
    }
    const elements = packed ? unpackReplies(packed.content, prompts.length) : null;
    const answers = elements ? prompts.map((prompt, i) => this.readElement(prompt, elements[i])) : null;
    // The failed (or unusable) call was billed too, so its usage is carried by the answers that replace it.
    const usages = splitUsage(packed?.usage ?? ZERO_USAGE, prompts.length);
    if (!packed || !answers || prompts.some((prompt, i) => !isStructured(prompt) && answers[i] === null)) {
      // The reply broke the contract (or max_tokens cut it, so its JSON is unfinished): ask one by one,
      // each prompt then getting its own finish_reason rather than a guess at where the pack stopped.
      return Promise.all(prompts.map((prompt, i) => this.answerOne(imageUrl, prompt, usages[i]!, options)));
    }
    return Promise.all(
      prompts.map((prompt, i) => {
        const text = answers[i];
        if (typeof text === 'string') return { text, finishReason: packed.finishReason, usage: usages[i]!, latencyMs: packed.latencyMs } satisfies ModelAnswer;
        // A structured element that did not validate: asked alone once more, its one retry.
        return this.answerOne(imageUrl, prompt, usages[i]!, options, 1);
      }),
    );
  }

  /** A packed element as an answer's text, or null when it does not do for its prompt. */
  private readElement(prompt: ModelPrompt, element: unknown): string | null {
    if (!isStructured(prompt)) return plainAnswer(element);
    try {
      return structuredAnswer(element, prompt.format, { model: this.model });
    } catch {
      return null;
    }
  }

  /** One prompt alone; a structured reply that does not validate is asked again until `attempts` are spent. */
  private async answerOne(imageUrl: string, prompt: ModelPrompt, carriedUsage: ModelUsage, options: AnswerOptions, attempts = 2): Promise<ModelResult> {
    try {
      if (isStructured(prompt)) return await this.answerStructured(imageUrl, prompt, carriedUsage, options, attempts);
      const completion = await this.callAlone([imageMessage([imageUrl], prompt)], options, { prompts: [prompt] });
      if (completion.content.trim() === '') throw badResponse('the answer was empty');
      return { text: completion.content, finishReason: completion.finishReason, usage: addUsage(completion.usage, carriedUsage), latencyMs: completion.latencyMs } satisfies ModelAnswer;
    } catch (error) {
      return this.failure(error, options.signal);
    }
  }

  private async answerStructured(imageUrl: string, prompt: StructuredPrompt, carriedUsage: ModelUsage, options: AnswerOptions, attempts: number): Promise<ModelAnswer> {
    let usage = carriedUsage;
    let invalid: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const completion = await this.completeStructured(imageUrl, prompt, options);
      usage = addUsage(usage, completion.usage);
      try {
        return { text: structuredAnswer(completion.content, prompt.format, { model: this.model }), finishReason: completion.finishReason, usage, latencyMs: completion.latencyMs };
      } catch (error) {
        invalid = error;
      }
    }
    // Every attempt was billed: the caller's budget pays for them although nothing is stored.
    throw invalid instanceof ModelCallError ? new ModelCallError(invalid.code, invalid.message, { cause: invalid.cause, billed: usage }) : invalid;
  }

  /**
   * A structured prompt alone: with `json_schema` (strict) while the endpoint
   * takes it. A 400 that refuses `response_format` itself is answered by
   * asking once more with `json_object` and the schema in the instruction (any
   * other 400 fails at once: it would fail the same way again);
   * when that goes through, this endpoint and model get json_object from then
   * on (JsonObjectFallbacks: stored for restarts and replicas, counted), unless
   * the schema was a client's (ReplyFormat.fromClient): its refusal may be its own.
   */
  private async completeStructured(imageUrl: string, prompt: StructuredPrompt, options: AnswerOptions): Promise<TimedCompletion> {
    const asJsonObject = () => {
      this.recorder?.jsonObjectRequest();
      return this.callAlone([imageMessage([imageUrl], withSchema(prompt))], options, { responseFormat: { type: 'json_object' }, prompts: [prompt] });
    };
    if (this.jsonObjectFallbacks.has(this.label)) return asJsonObject();
    const { name, schema } = prompt.format;
    try {
      return await this.callAlone([imageMessage([imageUrl], prompt.text)], options, {
        responseFormat: { type: 'json_schema', json_schema: { name, strict: true, schema: { ...schema } } },
        prompts: [prompt],
      });
    } catch (error) {
      if (options.signal?.aborted || !refusesResponseFormat(error)) throw error;
    }
    const completion = await asJsonObject();
    if (!prompt.format.fromClient) this.jsonObjectFallbacks.learn(this.label);
    return completion;
  }

  /**
   * One reply to a conversation, never packed. With `onDelta` it is streamed
   * (usage in the last chunk); a stream cut short by `signal` fails with the
   * signal's reason, never with the partial text.
   */
  async chat(request: ChatRequest, options: ChatOptions = {}): Promise<ModelAnswer> {
    const imageUrls = await Promise.all(request.images.map((image) => toDataUrl(image, this.options.maxPixels)));
    const messages = chatMessages(imageUrls, request.turns);
    try {
      const completion = await this.callAlone(messages, options, options.onDelta ? { onDelta: options.onDelta } : {});
      if (completion.content.trim() === '') throw badResponse('the answer was empty');
      return { text: completion.content, finishReason: completion.finishReason, usage: completion.usage, latencyMs: completion.latencyMs };
    } catch (error) {
      throw this.failure(error, options.signal);
    }
  }

  /** An abort surfaces from the SDK as APIUserAbortError (or a raw AbortError mid-body): report why it was aborted instead. */
  private failure(error: unknown, signal: AbortSignal | undefined): ModelCallError {
    return signal?.aborted ? abortedError(signal) : toModelError(error, this.options.baseUrl);
  }

  /**
   * Lowers the output cap (for the life of the process) to the one a refusal
   * of max_tokens names, when it is below what was asked; false when `error`
   * is no such refusal, so asking again would not help.
   */
  private learnOutputCap(error: unknown, asked: number): boolean {
    const cap = outputCapRefused(error);
    if (cap === null || cap < 1 || cap >= asked) return false;
    this.outputCap = Math.min(cap, this.outputCap ?? cap);
    return true;
  }

  /**
   * One reply's request: max_tokens is the reserve per answer, within the
   * output cap; a refusal naming a lower cap is asked again, once, under it.
   */
  private async callAlone(messages: ChatCompletionMessageParam[], options: AnswerOptions, callOptions: CallOptions): Promise<TimedCompletion> {
    const maxTokens = () => Math.min(this.perAnswer(options), this.outputCap ?? Number.POSITIVE_INFINITY);
    const asked = maxTokens();
    try {
      return await this.call(messages, asked, options, callOptions);
    } catch (error) {
      if (options.signal?.aborted || !this.learnOutputCap(error, asked)) throw error;
      return this.call(messages, maxTokens(), options, callOptions);
    }
  }

  /** n ≥ 2 prompts in one upstream call (packing.ts). */
  private completePacked(imageUrl: string, prompts: readonly ModelPrompt[], options: AnswerOptions): Promise<TimedCompletion> {
    const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: packedSystemPrompt(prompts) }, imageMessage([imageUrl], packPrompts(prompts))];
    return this.call(messages, this.perAnswer(options) * prompts.length, options, { prompts });
  }

  /**
   * One upstream request; a model that thinks is always asked streamed (its
   * reply assembled here when no one listens to the pieces). A refusal of a
   * non-streaming request teaches that this model thinks: it is asked again
   * streamed, and so from then on.
   */
  private async call(messages: ChatCompletionMessageParam[], maxTokens: number, options: AnswerOptions, callOptions: CallOptions = {}): Promise<TimedCompletion> {
    const streamed = this.thinking.thinks;
    try {
      return await this.request(messages, maxTokens, options, callOptions);
    } catch (error) {
      if (streamed || options.signal?.aborted || !refusesNonStreaming(error)) throw error;
      this.thinking = { ...this.thinking, thinks: true };
      return this.request(messages, maxTokens, options, callOptions);
    }
  }

  /**
   * One upstream request under the concurrency limit, streamed when `onDelta`
   * is given or the model thinks. Every outcome is recorded: failed HTTP attempts by the counting
   * fetch (an APIError from `create` means the request failed or never went
   * out), anything that breaks while reading a 2xx body here, and the tokens
   * billed even when the reply turns out unusable; `onCall` hears of each
   * request once it has ended.
   */
  private request(
    messages: ChatCompletionMessageParam[],
    maxTokens: number,
    { signal, onCall }: AnswerOptions,
    { onDelta, responseFormat, prompts = [] }: CallOptions,
  ): Promise<TimedCompletion> {
    const streamed = onDelta !== undefined || this.thinking.thinks;
    return this.limit(() => this.inSlot(signal, async () => {
      const started = performance.now();
      const ended = (outcome: string, usage: ModelUsage) => onCall?.({ model: this.model, prompts, usage, latencyMs: Math.round(performance.now() - started), outcome });
      const body = {
        model: this.model,
        messages,
        max_tokens: maxTokens,
        ...(responseFormat ? { response_format: responseFormat } : {}),
        // DashScope's own parameter (other servers ignore it): keep images at up to 16,384 tokens.
        ...(this.options.highResolutionImages ? { vl_high_resolution_images: true } : {}),
        ...this.thinking.params,
      };
      let reply: ChatCompletion | AsyncIterable<ChatCompletionChunk>;
      try {
        reply = streamed
          ? await this.client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal })
          : await this.client.chat.completions.create(body, { signal });
      } catch (error) {
        const { code } = this.failure(error, signal);
        if (!(error instanceof OpenAI.APIError)) this.recorder?.call(code);
        ended(code, ZERO_USAGE);
        throw error;
      }
      try {
        const completion = streamed ? await readStream(reply as AsyncIterable<ChatCompletionChunk>, onDelta ?? (() => {})) : readCompletion(reply as ChatCompletion);
        // The SDK ends a stream quietly when its request is aborted: partial text is not a reply.
        signal?.throwIfAborted();
        this.recorder?.tokens(completion.usage.promptTokens, completion.usage.completionTokens, completion.reasoningTokens);
        this.recorder?.call('ok');
        ended('ok', completion.usage);
        return { ...completion, latencyMs: Math.round(performance.now() - started) };
      } catch (error) {
        // Billed even when the reply turns out unusable (a stream cut short reports no usage).
        const billed = streamed ? ZERO_USAGE : billedUsage(reply as ChatCompletion);
        this.recorder?.tokens(billed.promptTokens, billed.completionTokens);
        const { code } = this.failure(error, signal);
        this.recorder?.call(code);
        ended(code, billed);
        throw error;
      }
    }));
  }

  /** Under QWEN_GLOBAL_MAX_CONCURRENCY, `work` also waits for one of the deployment's slots. */
  private inSlot<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    return this.options.slots ? this.options.slots.run(work, signal) : work();
  }
}

/** The usage of a reply that may not even be an object (a 200 with a non-JSON body). */
function billedUsage(response: ChatCompletion): ModelUsage {
  return typeof response === 'object' && response !== null ? toModelUsage(response.usage) : ZERO_USAGE;
}
