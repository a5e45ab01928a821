/** The model provider boundary: everything above it is vendor-neutral. */
import type { ModelPrompt } from './reply-format.js';
import type { ModelUsage } from './usage.js';
import type { FinishReason } from './finish-reason.js';

export type { FinishReason };

export type { ModelPrompt, ReplyFormat, StructuredPrompt } from './reply-format.js';
export type { ModelUsage };

/** An image as stored: original bytes plus what the upload learnt from them. */
export interface ModelImage {
  mimeType: string;
  width: number;
  height: number;
  /**
   * The original bytes, or how to read them when they are likely not needed:
   * a stored image whose data URL is already built (upstream-image.ts) is
   * read only should that URL have left the cache before it is sent.
   */
  data: Buffer | (() => Promise<Buffer>);
  /** The bytes' sha256 when already known (a stored image): spares hashing them again. */
  sha256?: string;
}

export interface ModelAnswer {
  text: string;
  /** Why the reply ended (finish-reason.ts): `length` means cut by max_tokens, not complete. Null: unknown. */
  finishReason: FinishReason | null;
  /** The model that actually answered, when not the provider's own (a fallback). */
  model?: string;
  usage: ModelUsage;
  latencyMs: number;
}

/** Per-prompt outcome: one failing prompt does not sink the others. */
export type ModelResult = ModelAnswer | Error;

/** One upstream request as it ended: what `AnswerOptions.onCall` is told. */
export interface UpstreamCall {
  /** The model asked (a fallback's, when the request went to one). */
  model: string;
  /** The prompts it carried, the very values passed to `answer` (none for `chat`): a packed request carries several. */
  prompts: readonly ModelPrompt[];
  /** What the endpoint billed for it: zero when it failed before a reply. */
  usage: ModelUsage;
  latencyMs: number;
  /** 'ok', or the error code it failed with (an unusable reply is still billed). */
  outcome: string;
}

export interface AnswerOptions {
  /** Aborts the in-flight HTTP request (and any retry or fallback still to come) when it fires. */
  signal?: AbortSignal;
  /** Told of every upstream request made for this work, once it has ended (SDK retries of one request count once). */
  onCall?: (call: UpstreamCall) => void;
  /**
   * max_tokens per answer for this work instead of TOKEN_RESERVE_PER_ANSWER
   * (still within the model's output cap): a reply cut short before is asked
   * again with more room.
   */
  completionTokensPerAnswer?: number;
}

/** One turn of a conversation as sent upstream. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
}

/**
 * A free-form request: `images` go once, in the first user turn (before its
 * text, in the order given, each downscaled to QWEN_MAX_PIXELS), then every
 * turn's text in order. The last turn is the user's.
 */
export interface ChatRequest {
  images: readonly ModelImage[];
  turns: readonly ChatTurn[];
}

export interface ChatOptions extends AnswerOptions {
  /**
   * When given, the reply is streamed (`stream: true`, usage included) and
   * each piece of text is passed here as the endpoint produces it; the
   * returned answer still carries the whole text and its usage. Once a piece
   * has been delivered, a failure is final (no fallback replays the text).
   */
  onDelta?: (delta: string) => void;
}

export interface ModelProvider {
  /** The model name stored with every answer (part of the cache key). */
  readonly model: string;
  /**
   * Answers every prompt about one image, sending the image as few times as
   * the packing contract allows. Results come back in prompt order; a failed
   * prompt's result is a ModelCallError (model-call-error.ts), and prompts cut
   * short by `signal` fail with its reason. Resolves promptly once `signal` fires.
   * A structured prompt's answer text is its reply as validated JSON
   * (reply-format.ts); a reply that does not validate is asked once more
   * alone, then fails with MODEL_BAD_RESPONSE.
   */
  answer(image: ModelImage, prompts: readonly ModelPrompt[], options?: AnswerOptions): Promise<ModelResult[]>;
  /**
   * One reply to a conversation (or one question about several images, as a
   * single upstream request: never packed). Throws a ModelCallError on
   * failure, the reason of `signal` when cut short.
   */
  chat(request: ChatRequest, options?: ChatOptions): Promise<ModelAnswer>;
  /**
   * The provider for one kind of work (answer-kind.ts: TEXT goes to
   * QWEN_OCR_MODEL, say); absent, or this provider itself, when every kind
   * goes to `model`. Its `model` is the cache key of that kind's answers.
   */
  forKind?(kind: string): ModelProvider;
}
