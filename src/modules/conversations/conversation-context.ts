import type { ChatTurn } from '../../model/provider.js';
import type { ImageSending } from '../../model/image-frame.js';
import { imageTokens, textTokens } from '../../model/token-estimate.js';

/**
 * What of a conversation goes upstream with a new turn, within
 * CONVERSATION_MAX_CONTEXT_TOKENS. Always sent: the images, the first user
 * turn (which carries them) and the new message, even when they alone pass
 * the budget. Then, newest first, whole exchanges (a user message with its
 * reply) while they fit; the first exchange that does not fit ends the walk,
 * so what is kept is always the latest stretch of the conversation, and what
 * is dropped is the middle (the first turn's reply counts as an exchange of its own).
 *
 * Counting: each image by the patches of the frame the model sees it in
 * (token-estimate.ts), each message by the text estimate of
 * token-estimate.ts plus its role markers.
 */

/** A stored message as the context reads it. */
export interface ContextMessage {
  /** USER or ASSISTANT. */
  role: string;
  text: string;
}

/** How images are sent (QWEN_MAX_PIXELS, the model, QWEN_HIGH_RESOLUTION_IMAGES): what they cost. */
export interface ContextOptions extends ImageSending {
  /** CONVERSATION_MAX_CONTEXT_TOKENS. */
  maxTokens: number;
}

export interface ContextPlan {
  /** In conversation order: the first user turn, the kept exchanges, the new message. */
  turns: ChatTurn[];
  /** The estimated prompt tokens of what is sent, images included. */
  tokens: number;
}

/** `<|im_start|>role\n` and `<|im_end|>\n` around every message of the chat template. */
const ROLE_MARKER_TOKENS = 5;

export function messageTokens(message: ContextMessage): number {
  return textTokens(message.text) + ROLE_MARKER_TOKENS;
}

const toTurn = (message: ContextMessage): ChatTurn => ({ role: message.role === 'USER' ? 'user' : 'assistant', text: message.text });

export class ConversationContext {
  constructor(private readonly options: ContextOptions) {}

  /**
   * `latest` is the new message; `first` the conversation's first user
   * message (null when `latest` is it) and `between` every message between
   * the two, newest first, read only as far as the budget goes.
   */
  async plan(
    images: ReadonlyArray<{ width: number; height: number }>,
    latest: ContextMessage,
    first: ContextMessage | null,
    between: AsyncIterable<ContextMessage> | Iterable<ContextMessage>,
  ): Promise<ContextPlan> {
    const imagesTokens = images.reduce((sum, image) => sum + imageTokens(image.width, image.height, this.options), 0);
    if (!first) return { turns: [toTurn(latest)], tokens: imagesTokens + messageTokens(latest) };

    let tokens = imagesTokens + messageTokens(first) + messageTokens(latest);
    const kept: ContextMessage[] = [];
    // Newest first, an exchange is its replies followed by the user message that asked them.
    let exchange: ContextMessage[] = [];
    const fits = (messages: ContextMessage[]) => {
      const needed = messages.reduce((sum, message) => sum + messageTokens(message), 0);
      if (tokens + needed > this.options.maxTokens) return false;
      tokens += needed;
      kept.push(...messages);
      return true;
    };
    let full = false;
    for await (const message of between) {
      exchange.push(message);
      if (message.role !== 'USER') continue;
      if (!fits(exchange)) {
        full = true;
        break;
      }
      exchange = [];
    }
    // What is left is the first turn's reply (its question is `first`).
    if (!full && exchange.length > 0) fits(exchange);
    return { turns: [first, ...kept.reverse(), latest].map(toTurn), tokens };
  }
}
