/** The model provider boundary: everything above it is vendor-neutral. */

export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens the endpoint served from its own context cache, when it reports them. */
  cachedTokens: number;
}

/** An image as stored: original bytes plus what the upload learnt from them. */
export interface ModelImage {
  mimeType: string;
  width: number;
  height: number;
  data: Buffer;
}

export interface ModelAnswer {
  text: string;
  /** The model that actually answered, when not the provider's own (a fallback). */
  model?: string;
  usage: ModelUsage;
  latencyMs: number;
}

/** Per-prompt outcome: one failing prompt does not sink the others. */
export type ModelResult = ModelAnswer | Error;

export interface AnswerOptions {
  /** Aborts the in-flight HTTP request (and any retry or fallback still to come) when it fires. */
  signal?: AbortSignal;
}

export interface ModelProvider {
  /** The model name stored with every answer (part of the cache key). */
  readonly model: string;
  /**
   * Answers every prompt about one image, sending the image as few times as
   * the packing contract allows. Results come back in prompt order; a failed
   * prompt's result is a ModelCallError (model-call-error.ts), and prompts cut
   * short by `signal` fail with its reason. Resolves promptly once `signal` fires.
   */
  answer(image: ModelImage, prompts: readonly string[], options?: AnswerOptions): Promise<ModelResult[]>;
}
