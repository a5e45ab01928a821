import { GatewayError } from '../platform/errors.js';
import type { ModelImage, ModelProvider, ModelResult } from './provider.js';

export interface AnswerOptions {
  /** Aborts the in-flight HTTP request (and any SDK retry still to come) when it fires. */
  signal?: AbortSignal;
}

/**
 * A provider that can be cancelled. Every ModelProvider fits this type (a
 * provider that ignores the third argument is simply not cancellable), so the
 * resilience wrappers accept plain providers too.
 */
export interface CancellableModelProvider extends ModelProvider {
  answer(image: ModelImage, prompts: readonly string[], options?: AnswerOptions): Promise<ModelResult[]>;
}

export function deadlineExceeded(deadlineMs: number): GatewayError {
  return new GatewayError(
    'MODEL_UNAVAILABLE',
    `The model did not answer within ${deadlineMs} ms (QWEN_DEADLINE_MS, retries and fallbacks included): deadline exceeded. Retry later.`,
    { retryable: true },
  );
}

/** The error for work cut short by `signal`: its reason when that is a coded error (the deadline), else a generic one. */
export function abortedError(signal: AbortSignal): GatewayError {
  if (signal.reason instanceof GatewayError) return signal.reason;
  return new GatewayError('MODEL_UNAVAILABLE', 'The model request was cancelled before the endpoint answered. Retry later.', {
    retryable: true,
    cause: signal.reason,
  });
}
