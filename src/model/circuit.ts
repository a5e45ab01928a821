import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import pLimit, { type LimitFunction } from 'p-limit';
import { ModelCallError } from './model-call-error.js';
import type { AnswerOptions, ChatOptions, ChatRequest, ModelAnswer, ModelImage, ModelPrompt, ModelProvider, ModelResult } from './provider.js';

export type CircuitState = 'closed' | 'half-open' | 'open';

/** The gauge's encoding (metrics.circuitState). */
export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface CircuitOptions {
  /** Named in the fail-fast message (the model name comes from the wrapped provider). */
  baseUrl: string;
  /** Percentage of failed calls in the rolling window that opens the circuit (CIRCUIT_FAILURE_THRESHOLD). */
  failureThreshold: number;
  /** Calls the window must hold before it may open (CIRCUIT_MIN_REQUESTS). */
  minRequests: number;
  /** How long it stays open before a probe is let through (CIRCUIT_RESET_MS). */
  resetMs: number;
  /**
   * A call still running after this long counts as a failure at that moment
   * (QWEN_TIMEOUT_MS: one upstream attempt's timeout), so a hanging endpoint
   * opens the circuit within one timeout instead of when the deadline finally
   * fails the calls. The call itself runs on, under the deadline.
   */
  slowCallMs?: number;
  /** Length of the rolling window; default 30 s, and always at least two slow-call times. */
  windowMs?: number;
  /**
   * Calls in flight at once (QWEN_MAX_CONCURRENCY): the rest wait before the
   * breaker, so time spent queueing behind our own limit is never taken for
   * a slow endpoint.
   */
  maxConcurrency?: number;
  onStateChange?: (state: CircuitState) => void;
}

const DEFAULT_WINDOW_MS = 30_000;
const BUCKETS = 10;

/**
 * Only endpoint health counts against the circuit: MODEL_UNAVAILABLE (5xx,
 * 408/409, refused or reset connections, timeouts, the deadline running out
 * with the call still in flight).
 *
 * Not counted: MODEL_REJECTED and MODEL_BAD_RESPONSE (about this content or
 * this reply, not the endpoint), MODEL_NOT_CONFIGURED (our configuration),
 * and MODEL_RATE_LIMITED: a 429 is a capacity signal, not a health one. The
 * endpoint still serves part of our traffic, and it says when to come back
 * (Retry-After, which the SDK honours). Opening on 429s would turn a partial
 * quota into none for CIRCUIT_RESET_MS and replace the precise retryAfter with
 * a generic MODEL_UNAVAILABLE. The overflow goes to the fallbacks instead.
 */
export function isEndpointFailure(result: unknown): result is ModelCallError {
  return result instanceof ModelCallError && result.code === 'MODEL_UNAVAILABLE';
}

/** opossum's own rejection of a call that passed its `timeout`. */
const isSlowCall = (error: unknown) => CircuitBreaker.isOurError(error as Error) && (error as { code?: unknown }).code === 'ETIMEDOUT';

/** Carries a call's results through opossum, which needs a rejection to count a failure. */
class EndpointFailure extends Error {
  constructor(readonly results: ModelResult[]) {
    super('the model endpoint failed');
  }
}

/** One call to the wrapped provider, fired through the breaker (it rejects when the call counts as failed). */
type Work = () => Promise<unknown>;

/**
 * A circuit breaker (opossum) around one endpoint's provider. One call is one
 * `answer` (one image, its prompts), a failure when any of its prompts failed
 * with an endpoint failure; or one `chat`, a failure when it throws one.
 * While open, every call fails fast with MODEL_UNAVAILABLE without reaching
 * the provider; after `resetMs` one probe goes through (others still fail
 * fast), and its success closes the circuit and starts a fresh window.
 */
export class CircuitBreakerProvider implements ModelProvider {
  readonly model: string;
  private readonly breaker: CircuitBreaker<[Work], unknown>;
  /** Drives opossum's window rotation, so a closing circuit can also clear it. */
  private readonly rotation = new EventEmitter();
  private readonly rotationTimer: NodeJS.Timeout;
  private openedAt = 0;
  private readonly limit: LimitFunction;

  constructor(
    private readonly inner: ModelProvider,
    private readonly options: CircuitOptions,
  ) {
    this.model = inner.model;
    this.limit = pLimit(options.maxConcurrency ?? Number.POSITIVE_INFINITY);
    // opossum counts a call when it starts and its failure when it ends: both must fall in one window.
    const windowMs = Math.max(options.windowMs ?? DEFAULT_WINDOW_MS, 2 * (options.slowCallMs ?? 0));
    this.breaker = new CircuitBreaker((work: Work) => work(), {
      name: `${options.baseUrl}#${inner.model}`,
      // Counts a slow call as failed when it becomes slow; answer() and chat() below let the call finish
      // (the deadline, QWEN_DEADLINE_MS, and the SDK's timeout are what bound it).
      timeout: options.slowCallMs ?? false,
      // opossum opens when the rate is strictly above its threshold; the setting means "reaches".
      errorThresholdPercentage: options.failureThreshold - 1e-6,
      volumeThreshold: options.minRequests,
      resetTimeout: options.resetMs,
      rollingCountTimeout: windowMs,
      rollingCountBuckets: BUCKETS,
      rotateBucketController: this.rotation,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // Anything but an endpoint failure (a provider that threw something else) is not the endpoint's fault.
      errorFilter: (error: unknown) => !(error instanceof EndpointFailure) && !isEndpointFailure(error) && !isSlowCall(error),
    });
    this.rotationTimer = setInterval(() => this.rotation.emit('rotate'), Math.max(1, Math.floor(windowMs / BUCKETS)));
    this.rotationTimer.unref();

    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      options.onStateChange?.('open');
    });
    this.breaker.on('halfOpen', () => options.onStateChange?.('half-open'));
    this.breaker.on('close', () => {
      // Failures from before the circuit opened say nothing about the endpoint now.
      for (let i = 0; i < BUCKETS; i++) this.rotation.emit('rotate');
      options.onStateChange?.('closed');
    });
    options.onStateChange?.('closed');
  }

  get state(): CircuitState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  async answer(image: ModelImage, prompts: readonly ModelPrompt[], answerOptions?: AnswerOptions): Promise<ModelResult[]> {
    if (prompts.length === 0) return [];
    return this.limit(() => this.admitted(image, prompts, answerOptions));
  }

  private async admitted(image: ModelImage, prompts: readonly ModelPrompt[], answerOptions: AnswerOptions | undefined): Promise<ModelResult[]> {
    // opossum's own admission test, checked first so a rejected call is not counted as a call in the window.
    if (!this.admits()) return prompts.map(() => this.openError());
    /** The call's own promise, so it can still be awaited after opossum timed it out. */
    let running: Promise<ModelResult[]> | undefined;
    try {
      return (await this.breaker.fire(async () => {
        running = this.inner.answer(image, prompts, answerOptions);
        const results = await running;
        if (results.some(isEndpointFailure)) throw new EndpointFailure(results);
        return results;
      })) as ModelResult[];
    } catch (error) {
      if (error instanceof EndpointFailure) return error.results;
      // Already counted as a failure; the caller still gets whatever the call ends with.
      if (isSlowCall(error) && running) return running;
      if (error instanceof Error && CircuitBreaker.isOurError(error)) return prompts.map(() => this.openError());
      const failure = error instanceof Error ? error : new Error(String(error));
      return prompts.map(() => failure);
    }
  }

  /**
   * The same limit and breaker as `answer`; a thrown endpoint failure counts
   * against the circuit. A streamed reply counts as a success at its first
   * piece: a long answer being written is a healthy endpoint, not a slow one
   * (a failure after that still reaches the caller, and the deadline bounds it).
   */
  chat(request: ChatRequest, chatOptions?: ChatOptions): Promise<ModelAnswer> {
    return this.limit(async () => {
      if (!this.admits()) throw this.openError();
      let running: Promise<ModelAnswer> | undefined;
      let firstPiece = () => {};
      const streaming = new Promise<void>((resolve) => (firstPiece = resolve));
      const onDelta = chatOptions?.onDelta;
      const options: ChatOptions | undefined = onDelta ? { ...chatOptions, onDelta: (delta) => { firstPiece(); onDelta(delta); } } : chatOptions;
      try {
        await this.breaker.fire(() => Promise.race([(running = this.inner.chat(request, options)), streaming]));
        return await running!;
      } catch (error) {
        if (isSlowCall(error) && running) return running;
        if (error instanceof Error && CircuitBreaker.isOurError(error)) throw this.openError();
        throw error;
      }
    });
  }

  private admits(): boolean {
    return this.breaker.closed || this.breaker.pendingClose;
  }

  /** Stops the window's timer and the breaker's; the provider must not be used afterwards. */
  shutdown(): void {
    clearInterval(this.rotationTimer);
    this.breaker.shutdown();
  }

  private openError(): ModelCallError {
    const endpoint = `The model endpoint ${this.options.baseUrl} (model ${this.model})`;
    if (this.breaker.halfOpen) {
      return new ModelCallError(
        'MODEL_UNAVAILABLE',
        `${endpoint} has been failing; one request is checking whether it has recovered, so it is not called meanwhile. Retry in a few seconds.`,
        { retryAfter: 1 },
      );
    }
    const retryAt = this.openedAt + this.options.resetMs;
    const seconds = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
    return new ModelCallError(
      'MODEL_UNAVAILABLE',
      `${endpoint} is failing, so the gateway stopped calling it; it will be tried again in ${seconds} s (at ${new Date(retryAt).toISOString()}). Retry later.`,
      { retryAfter: seconds },
    );
  }
}
