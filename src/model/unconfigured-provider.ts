import { ModelCallError } from './model-call-error.js';
import type { ModelAnswer, ModelPrompt, ModelProvider, ModelResult } from './provider.js';

/** Stands in when no endpoint is configured: stored data still serves, new model work explains what to set. */
export class UnconfiguredProvider implements ModelProvider {
  constructor(readonly model: string) {}

  answer(_image: unknown, prompts: readonly ModelPrompt[]): Promise<ModelResult[]> {
    const error = notConfigured();
    return Promise.resolve(prompts.map(() => error));
  }

  chat(): Promise<ModelAnswer> {
    return Promise.reject(notConfigured());
  }
}

function notConfigured(): ModelCallError {
  return new ModelCallError(
    'MODEL_NOT_CONFIGURED',
    'No model endpoint is configured. Set QWEN_API_KEY (or DASHSCOPE_API_KEY) for DashScope, or QWEN_BASE_URL for a local vLLM/Ollama server, and restart.',
  );
}
