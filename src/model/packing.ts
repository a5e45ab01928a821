/**
 * The upstream packing contract: n ≥ 2 prompts about one image travel in one
 * request as JSON, and the model answers with a JSON object in the same order.
 * A structured prompt (reply-format.ts) travels as its instruction with its
 * JSON Schema spelled out, and its element of `answers` is the JSON object
 * itself (a string holding that JSON is accepted too).
 */
import { isStructured, parseJsonReply, promptText, type ModelPrompt } from './reply-format.js';

export const PACKED_SYSTEM_PROMPT = [
  'You answer several questions about the same image.',
  'The user message holds a JSON object {"questions": [...]}.',
  'Reply with only a JSON object {"answers": [...]} holding one string answer per question, in the same order.',
  'Answer each question as if it had been asked alone.',
].join(' ');

/** Appended to the system prompt only when a packed call holds structured prompts, so plain packing stays as it was. */
export const PACKED_STRUCTURED_RULE =
  'A question that asks for a JSON object matching a JSON schema is answered with that JSON object itself, not a string, in its place in "answers".';

export function packedSystemPrompt(prompts: readonly ModelPrompt[]): string {
  return prompts.some(isStructured) ? `${PACKED_SYSTEM_PROMPT} ${PACKED_STRUCTURED_RULE}` : PACKED_SYSTEM_PROMPT;
}

export function packPrompts(prompts: readonly ModelPrompt[]): string {
  return JSON.stringify({ questions: prompts.map(promptText) });
}

/** The n elements of a packed reply's `answers`, unchecked, or null when the reply is not such an object. */
export function unpackReplies(content: string | null | undefined, count: number): unknown[] | null {
  if (typeof content !== 'string') return null;
  const parsed = parseJsonReply(content);
  if (typeof parsed !== 'object' || parsed === null || !('answers' in parsed)) return null;
  const answers = (parsed as { answers: unknown }).answers;
  return Array.isArray(answers) && answers.length === count ? answers : null;
}

/** A plain prompt's element: a non-empty string, or null when it breaks the contract. */
export function plainAnswer(element: unknown): string | null {
  return typeof element === 'string' && element.trim() !== '' ? element : null;
}

/** How many prompts a request carries, read back from its messages: n for a packed call, else 1 (for tracing). */
export function promptsCarried(systemText: string | undefined, userText: string): number {
  if (!systemText?.startsWith(PACKED_SYSTEM_PROMPT)) return 1;
  try {
    const { questions } = JSON.parse(userText) as { questions?: unknown };
    return Array.isArray(questions) ? questions.length : 1;
  } catch {
    return 1;
  }
}
