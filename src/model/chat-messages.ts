import type { ChatCompletionMessageParam, ChatCompletionUserMessageParam } from 'openai/resources/chat/completions';
import type { ChatTurn } from './provider.js';

/** A user message carrying images (as data URLs, in order) before its text: how every image reaches the model. */
export function imageMessage(imageUrls: readonly string[], text: string): ChatCompletionUserMessageParam {
  return {
    role: 'user',
    content: [...imageUrls.map((url) => ({ type: 'image_url' as const, image_url: { url } })), { type: 'text' as const, text }],
  };
}

/**
 * A conversation as Chat Completions messages: the images once, in the first
 * user turn before its text, then every other turn's text as it is.
 */
export function chatMessages(imageUrls: readonly string[], turns: readonly ChatTurn[]): ChatCompletionMessageParam[] {
  const first = turns.findIndex((turn) => turn.role === 'user');
  return turns.map((turn, i) => (i === first ? imageMessage(imageUrls, turn.text) : { role: turn.role, content: turn.text }));
}
