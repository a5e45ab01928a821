import { badInput } from '../../platform/errors.js';

export const CAPTION_STYLES = ['BRIEF', 'DETAILED', 'ALT_TEXT'] as const;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];

/** The instruction sent upstream for each caption style; part of the cache key, so change with care. */
export const CAPTION_PROMPTS: Record<CaptionStyle, string> = {
  BRIEF: 'Write a one-sentence caption for this image.',
  DETAILED: 'Describe this image in detail: the main subjects, the setting, actions, colours, any visible text, and the overall mood.',
  ALT_TEXT: 'Write alt text for this image for people using a screen reader: what it shows and any text in it, in at most 125 characters, without starting with "Image of".',
};

/**
 * Printable ASCII words with single spaces between them: text the normalization below leaves as it
 * is, holding no surrogate and no control character. Most prompts are such text, and one test of
 * it replaces the normalization's passes and the question's checks (1.2% of a cached answer's CPU).
 */
const PLAIN_TEXT = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;

/** The cache key's normalization: Unicode NFC, trimmed, inner whitespace collapsed, case kept. */
export function normalizePrompt(prompt: string): string {
  return PLAIN_TEXT.test(prompt) ? prompt : normalizeText(prompt);
}

const normalizeText = (text: string) => text.normalize('NFC').trim().replace(/\s+/gu, ' ');

/** The normalized prompt a caption style sends upstream. */
export function captionPrompt(style: CaptionStyle): string {
  return normalizePrompt(CAPTION_PROMPTS[style]);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Validates before anything is sent upstream; returns the normalized question. */
export function normalizeQuestion(question: string, maxLength: number): string {
  const plain = PLAIN_TEXT.test(question);
  const normalized = plain ? question : normalizeText(question);
  if (normalized === '') throw badInput('The question is empty. Ask something about the image.');
  // Characters are code points: an emoji is one character, not two UTF-16 units. A text of no more
  // units than the limit has no more code points either, so only a longer one is counted.
  if (normalized.length > maxLength) {
    const length = [...normalized].length;
    if (length > maxLength) throw badInput(`The question is ${length} characters long; the limit is ${maxLength} (MAX_QUESTION_LENGTH).`);
  }
  if (plain) return normalized;
  // A lone surrogate is not text: it would be stored mangled and never match the cache again.
  if (LONE_SURROGATE.test(normalized)) throw badInput('The question contains an invalid Unicode sequence (a lone surrogate). Send it as valid UTF-8/UTF-16 text.');
  // Control characters (other than whitespace, already collapsed) are never part of a real question.
  if (/\p{Cc}/u.test(normalized)) throw badInput('The question contains control characters. Remove them and ask again.');
  return normalized;
}
