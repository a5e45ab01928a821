import type { AnswerOptions, ChatOptions, ChatRequest, ModelAnswer, ModelImage, ModelPrompt, ModelProvider, ModelResult } from './provider.js';

/**
 * A model per kind of work: `byKind` names the provider of each kind routed
 * away from the default (QWEN_OCR_MODEL for TEXT); every other kind, and
 * `answer` and `chat` called on this object, go to the default provider.
 */
export class KindRoutes implements ModelProvider {
  readonly model: string;

  constructor(
    private readonly primary: ModelProvider,
    private readonly byKind: ReadonlyMap<string, ModelProvider>,
  ) {
    this.model = primary.model;
  }

  forKind(kind: string): ModelProvider {
    return this.byKind.get(kind) ?? this.primary;
  }

  answer(image: ModelImage, prompts: readonly ModelPrompt[], options?: AnswerOptions): Promise<ModelResult[]> {
    return this.primary.answer(image, prompts, options);
  }

  chat(request: ChatRequest, options?: ChatOptions): Promise<ModelAnswer> {
    return this.primary.chat(request, options);
  }
}
