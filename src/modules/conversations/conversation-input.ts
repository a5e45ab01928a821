import type { ChatTurn } from '../../model/provider.js';
import { badInput } from '../../platform/errors.js';

/**
 * What a conversation accepts, checked before anything is stored or sent.
 * Unlike a question (prompts.ts), a message keeps its line breaks: it is
 * not a cache key, and code or lists read differently without them.
 */

/** Titles are labels in a list, not prose. */
export const MAX_TITLE_LENGTH = 200;

/** C0/C1 controls other than tab and line breaks. */
const CONTROL = /[^\P{Cc}\t\n\r]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Unicode NFC and trimmed; refused when empty, longer than `maxLength` characters (code points) or not plain text. */
function checkedText(what: string, text: string, maxLength: number, limitName?: string): string {
  const normalized = text.normalize('NFC').trim();
  const length = [...normalized].length;
  if (length > maxLength) throw badInput(`The ${what} is ${length} characters long; the limit is ${maxLength}${limitName ? ` (${limitName})` : ''}.`);
  if (LONE_SURROGATE.test(normalized)) throw badInput(`The ${what} contains an invalid Unicode sequence (a lone surrogate). Send it as valid UTF-8/UTF-16 text.`);
  if (CONTROL.test(normalized)) throw badInput(`The ${what} contains control characters. Remove them and send it again.`);
  return normalized;
}

export function messageText(text: string, maxLength: number): string {
  const checked = checkedText('message', text, maxLength, 'MAX_QUESTION_LENGTH');
  if (checked === '') throw badInput('The message is empty. Write something about the images.');
  return checked;
}

/** null (or blank): no title. */
export function conversationTitle(title: string | null | undefined): string | null {
  if (title == null) return null;
  return checkedText('title', title, MAX_TITLE_LENGTH) || null;
}

/** The images in the order given, each once: 1 to `max` of them. */
export function conversationImageIds(ids: readonly string[], max: number): string[] {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw badInput('imageIds is empty: name at least one image to talk about.');
  if (unique.length > max) throw badInput(`A conversation has at most ${max} images (MAX_IMAGES_PER_QUESTION); ${unique.length} were named.`);
  return unique;
}

/**
 * Earlier exchanges brought along when a conversation starts: user first,
 * alternating, ending with a reply (so the next message is the user's). User
 * messages are checked as any message is; replies only for being text.
 */
export function earlierTurns(history: readonly ChatTurn[], maxLength: number): Array<{ role: 'USER' | 'ASSISTANT'; text: string }> {
  if (history.length % 2 !== 0 || history.some((turn, i) => turn.role !== (i % 2 === 0 ? 'user' : 'assistant'))) {
    throw badInput('Earlier messages must alternate user and assistant, starting with the user and ending with a reply.');
  }
  return history.map((turn) =>
    turn.role === 'user' ? { role: 'USER', text: messageText(turn.text, maxLength) } : { role: 'ASSISTANT', text: checkedText('reply', turn.text, Number.MAX_SAFE_INTEGER) },
  );
}
