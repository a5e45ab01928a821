import type { ChatOptions, ChatRequest, ModelAnswer, ModelImage, ModelProvider, ModelResult } from '../../src/model/provider.js';

/** What a test's provider answers for one prompt (for chat: the last turn's text): an answer's text, or a failure. */
export type Reply = (prompt: string) => string | Error;

export const USAGE_PER_ANSWER = { promptTokens: 70, completionTokens: 30, totalTokens: 100, cachedTokens: 0 };

/** Splits a reply into the pieces a streaming endpoint would send: words with their following space. */
export function replyPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * The model boundary for unit tests: records every call (one per image and
 * packed prompts, as AnswerService makes them; one per chat request) and
 * answers from `reply`. `hold()` keeps calls waiting until `release()`, to
 * catch concurrent callers in flight; `failNext(error)` makes the next call
 * throw, as a failed request does. A chat with `onDelta` gets the reply in
 * pieces (replyPieces) before it resolves; an aborted `signal` ends a waiting
 * chat with the signal's reason.
 */
export class StubProvider implements ModelProvider {
  readonly calls: Array<{ image: ModelImage; prompts: readonly string[] }> = [];
  readonly chats: Array<{ request: ChatRequest; streamed: boolean }> = [];
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
      return reply instanceof Error ? reply : { text: reply, finishReason: 'stop', usage: USAGE_PER_ANSWER, latencyMs: 5 };
    });
  }

  async chat(request: ChatRequest, { signal, onDelta }: ChatOptions = {}): Promise<ModelAnswer> {
    this.chats.push({ request, streamed: onDelta !== undefined });
    await untilAborted(this.gate, signal);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const reply = this.reply(request.turns.at(-1)?.text ?? '');
    if (reply instanceof Error) throw reply;
    if (onDelta) for (const piece of replyPieces(reply)) onDelta(piece);
    return { text: reply, finishReason: 'stop', usage: USAGE_PER_ANSWER, latencyMs: 5 };
  }
}

/** Waits for `gate`, or throws the signal's reason as soon as it fires. */
async function untilAborted(gate: Promise<void> | null, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  if (!gate || !signal) return gate ?? undefined;
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void gate.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
