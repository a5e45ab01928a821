import type { ModelImage, ModelProvider, ModelResult } from '../../src/model/provider.js';

/** What a test's provider answers for one prompt: an answer's text, or a per-prompt failure. */
export type Reply = (prompt: string) => string | Error;

export const USAGE_PER_ANSWER = { promptTokens: 70, completionTokens: 30, totalTokens: 100, cachedTokens: 0 };

/**
 * The model boundary for unit tests: records every call (one per image and
 * packed prompts, as AnswerService makes them) and answers from `reply`.
 * `hold()` keeps calls waiting until `release()`, to catch concurrent callers
 * in flight; `failNext(error)` makes the next call throw, as a failed request does.
 */
export class StubProvider implements ModelProvider {
  readonly calls: Array<{ image: ModelImage; prompts: readonly string[] }> = [];
  private gate: Promise<void> | null = null;
  private open = () => {};
  private failures: Error[] = [];

  constructor(
    private readonly reply: Reply = (prompt) => `answer to ${prompt}`,
    readonly model = 'stub-vl',
  ) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = null;
    this.open();
  }

  failNext(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  async answer(image: ModelImage, prompts: readonly string[]): Promise<ModelResult[]> {
    this.calls.push({ image, prompts });
    await this.gate;
    const failure = this.failures.shift();
    if (failure) throw failure;
    return prompts.map((prompt) => {
      const reply = this.reply(prompt);
      return reply instanceof Error ? reply : { text: reply, usage: USAGE_PER_ANSWER, latencyMs: 5 };
    });
  }
}
