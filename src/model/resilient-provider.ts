import { setMaxListeners } from 'node:events';
import { abortedError, deadlineExceeded, ModelCallError } from './model-call-error.js';
import type { AnswerOptions, ChatOptions, ChatRequest, ModelAnswer, ModelImage, ModelPrompt, ModelProvider, ModelResult } from './provider.js';

export interface ResilienceOptions {
  /** Overall budget for one `answer` call, the SDK's retries and every fallback included (QWEN_DEADLINE_MS). */
  deadlineMs: number;
}

/**
 * Whether a prompt that failed this way is worth asking the next endpoint:
 * when this one is unavailable (down, open circuit, timed out) or rate
 * limiting us (another endpoint or model has its own quota). Never for
 * MODEL_REJECTED, MODEL_BAD_RESPONSE, MODEL_NOT_CONFIGURED or bad input:
 * another endpoint would refuse the same content, and a broken reply or a
 * wrong key is something to see, not to hide.
 */
export function triesFallback(result: unknown): result is ModelCallError {
  return result instanceof ModelCallError && (result.code === 'MODEL_UNAVAILABLE' || result.code === 'MODEL_RATE_LIMITED');
}

const ABORTED = Symbol('aborted');

/** Settles with the promise, or with ABORTED as soon as `signal` fires, whichever comes first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * The primary endpoint, then the fallbacks in order, under one deadline.
 * Each endpoint (usually a CircuitBreakerProvider) is asked only about the
 * prompts still failing with an unavailable-type error; an answer is tagged
 * with the model that produced it. When the deadline passes, the in-flight
 * request is aborted and the prompts still open fail with MODEL_UNAVAILABLE
 * "deadline exceeded". When every endpoint was unavailable, the prompt fails
 * with the primary's error (its code, and retryAfter for a 429).
 *
 * `model` stays the primary's: it is the cache key for stored answers.
 */
export class ResilientProvider implements ModelProvider {
  readonly model: string;
  private readonly tiers: readonly ModelProvider[];

  constructor(
    tiers: readonly ModelProvider[],
    private readonly options: ResilienceOptions,
  ) {
    if (tiers.length === 0) throw new Error('ResilientProvider needs at least one endpoint');
    this.tiers = tiers;
    this.model = tiers[0]!.model;
  }

  async answer(image: ModelImage, prompts: readonly ModelPrompt[], answerOptions: AnswerOptions = {}): Promise<ModelResult[]> {
    if (prompts.length === 0) return [];
    const { signal, clear } = this.deadline(answerOptions.signal);
    const results = new Array<ModelResult | undefined>(prompts.length);
    /** The first endpoint's error for each prompt still open. */
    const firstErrors = new Map<number, Error>();
    let open = prompts.map((_, i) => i);
    try {
      for (const [t, tier] of this.tiers.entries()) {
        if (open.length === 0 || signal.aborted) break;
        const asked = open;
        const call = tier.answer(image, asked.map((i) => prompts[i]!), { ...answerOptions, signal });
        // Past the deadline its results are ignored; a late rejection must not go unhandled.
        call.catch(() => {});
        const answered = await untilAborted(call, signal).catch((error: Error) => asked.map(() => error));
        if (answered === ABORTED) break;
        const last = t === this.tiers.length - 1;
        open = [];
        asked.forEach((index, j) => {
          const result = answered[j] ?? new Error('the model provider returned fewer results than prompts');
          if (!(result instanceof Error)) {
            results[index] = { ...result, model: result.model ?? tier.model };
          } else if (triesFallback(result)) {
            if (!firstErrors.has(index)) firstErrors.set(index, result);
            if (last) results[index] = firstErrors.get(index)!;
            else open.push(index);
          } else {
            results[index] = result;
          }
        });
      }
    } finally {
      clear();
    }
    // Only prompts cut short by the deadline (or the caller's signal) are still open here.
    for (const index of open) results[index] = signal.aborted ? abortedError(signal) : firstErrors.get(index)!;
    return results as ModelResult[];
  }

  /**
   * The endpoints in order under the deadline, like `answer`, but only until
   * the first piece of a streamed reply has been delivered: from then on a
   * failure is final, since another endpoint would start the text over.
   */
  async chat(request: ChatRequest, chatOptions: ChatOptions = {}): Promise<ModelAnswer> {
    const { signal, clear } = this.deadline(chatOptions.signal);
    // Everything else (max_tokens per answer, onCall) goes to each tier as given.
    const { onDelta, ...passed } = chatOptions;
    let delivered = false;
    const forward = onDelta
      ? (delta: string) => {
          // A tier cut short by the deadline may still be winding down: nothing of it reaches the caller.
          if (signal.aborted) return;
          delivered = true;
          onDelta(delta);
        }
      : undefined;
    let firstError: ModelCallError | undefined;
    try {
      for (const tier of this.tiers) {
        const call = tier.chat(request, { ...passed, signal, ...(forward ? { onDelta: forward } : {}) });
        call.catch(() => {});
        try {
          const answer = await untilAborted(call, signal);
          if (answer === ABORTED) break;
          return { ...answer, model: answer.model ?? tier.model };
        } catch (error) {
          if (signal.aborted || delivered || !triesFallback(error)) throw signal.aborted ? abortedError(signal) : error;
          firstError ??= error;
        }
      }
    } finally {
      clear();
    }
    throw signal.aborted ? abortedError(signal) : firstError!;
  }

  /** The caller's signal combined with QWEN_DEADLINE_MS; `clear` stops the deadline's timer. */
  private deadline(callerSignal: AbortSignal | undefined): { signal: AbortSignal; clear: () => void } {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(deadlineExceeded(this.options.deadlineMs)), this.options.deadlineMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
    // The SDK adds an abort listener per HTTP attempt; many prompt groups and retries are expected, not a leak.
    setMaxListeners(0, deadline.signal, signal);
    return { signal, clear: () => clearTimeout(timer) };
  }
}
