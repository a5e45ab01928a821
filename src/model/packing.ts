/**
 * The upstream packing contract: n ≥ 2 prompts about one image travel in one
 * request as JSON, and the model answers with a JSON object in the same order.
 */

export const PACKED_SYSTEM_PROMPT = [
  'You answer several questions about the same image.',
  'The user message holds a JSON object {"questions": [...]}.',
  'Reply with only a JSON object {"answers": [...]} holding one string answer per question, in the same order.',
  'Answer each question as if it had been asked alone.',
].join(' ');

export function packPrompts(prompts: readonly string[]): string {
  return JSON.stringify({ questions: prompts });
}

const FENCED = /^```(?:json|JSON)?\s*\n?([\s\S]*?)\n?```$/;

/** The n answers of a packed reply, or null when the reply breaks the contract. */
export function unpackAnswers(content: string | null | undefined, count: number): string[] | null {
  if (typeof content !== 'string') return null;
  const trimmed = content.trim();
  const body = FENCED.exec(trimmed)?.[1] ?? trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || !('answers' in parsed)) return null;
  const answers = (parsed as { answers: unknown }).answers;
  if (!Array.isArray(answers) || answers.length !== count) return null;
  if (!answers.every((a): a is string => typeof a === 'string' && a.trim() !== '')) return null;
  return answers;
}

/** Splits prompts into groups of at most `size`, keeping their order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}
