import { ModelCallError } from './model-call-error.js';
import type { AnswerOptions, ChatOptions, ChatRequest, ModelAnswer, ModelImage, ModelPrompt, ModelProvider, ModelResult } from './provider.js';

export interface QuotaGuardOptions {
  /** How long the endpoint is not called after it reported the account out of quota (QWEN_QUOTA_BACKOFF_SECONDS). */
  backoffSeconds: number;
  /** Told once per refusal that reached the endpoint, with the time (ms since the epoch) calls resume. */
  onExhausted?: (error: ModelCallError, untilMs: number) => void;
  /** The clock (ms since the epoch); tests pass their own. */
  now?: () => number;
}

const isQuotaExhausted = (result: unknown): result is ModelCallError => result instanceof ModelCallError && result.code === 'MODEL_QUOTA_EXHAUSTED';

/**
 * One endpoint's billing state. After the endpoint answers that the account
 * cannot be billed (MODEL_QUOTA_EXHAUSTED: overdue, out of credit, free tier
 * used up), every call fails the same way at once, without a request, until
 * `backoffSeconds` have passed: asking again sooner would only be refused
 * again. Those failures, the first included, carry the provider's message
 * and `retryAfter`, the seconds left, so job items know how long to wait.
 */
export class QuotaGuardProvider implements ModelProvider {
  readonly model: string;
  private exhausted: { error: ModelCallError; untilMs: number } | null = null;
  private readonly now: () => number;

  constructor(
    private readonly inner: ModelProvider,
    private readonly options: QuotaGuardOptions,
  ) {
    this.model = inner.model;
    this.now = options.now ?? Date.now;
  }

  async answer(image: ModelImage, prompts: readonly ModelPrompt[], answerOptions?: AnswerOptions): Promise<ModelResult[]> {
    const refusal = this.refusal();
    if (refusal) return prompts.map(() => refusal);
    const results = await this.inner.answer(image, prompts, answerOptions);
    const exhausted = results.find(isQuotaExhausted);
    if (!exhausted) return results;
    this.trip(exhausted);
    return results.map((result) => (isQuotaExhausted(result) ? (this.refusal() ?? result) : result));
  }

  async chat(request: ChatRequest, chatOptions?: ChatOptions): Promise<ModelAnswer> {
    const refusal = this.refusal();
    if (refusal) throw refusal;
    try {
      return await this.inner.chat(request, chatOptions);
    } catch (error) {
      if (!isQuotaExhausted(error)) throw error;
      this.trip(error);
      throw this.refusal() ?? error;
    }
  }

  private trip(error: ModelCallError): void {
    const untilMs = this.now() + this.options.backoffSeconds * 1000;
    this.exhausted = { error, untilMs };
    this.options.onExhausted?.(error, untilMs);
  }

  /** The fast failure while the window lasts, null once it is over. */
  private refusal(): ModelCallError | null {
    if (!this.exhausted) return null;
    const leftMs = this.exhausted.untilMs - this.now();
    if (leftMs <= 0) {
      this.exhausted = null;
      return null;
    }
    const seconds = Math.ceil(leftMs / 1000);
    const { error } = this.exhausted;
    return new ModelCallError(
      'MODEL_QUOTA_EXHAUSTED',
      `${error.message} The gateway will not call the endpoint for ${seconds} s (QWEN_QUOTA_BACKOFF_SECONDS).`,
      { cause: error.cause, retryAfter: seconds },
    );
  }
}
