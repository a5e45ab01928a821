import { badInput } from '../../platform/errors.js';
import { normalizePrompt } from '../answers/prompts.js';
import { MODEL_CATEGORIES } from './moderation-category.enum.js';

/**
 * The instructions sent for vision results. Each is part of its cache key
 * (with the reply format's versioned name in front, see VisionService), so
 * a change here asks the model again rather than serving old verdicts.
 */

const CATEGORY_MEANINGS: Record<(typeof MODEL_CATEGORIES)[number], string> = {
  SEXUAL: 'sexual content or nudity',
  MINORS: 'sexual, abusive or exploitative content involving minors',
  VIOLENCE: 'violence, threats or physical harm',
  GORE: 'graphic injury, blood, mutilation or death',
  HATE: 'hateful symbols or content attacking people for who they are',
  HARASSMENT: 'bullying, humiliation or targeting of a real person',
  SELF_HARM: 'self-harm, suicide or eating disorders',
  WEAPONS: 'weapons shown to threaten, or offered for sale',
  DRUGS: 'illegal drugs, their use or sale',
  OTHER: 'anything else unsafe for a general audience',
};

export function moderationInstruction(policy: string): string {
  const categories = MODEL_CATEGORIES.map((c) => `${c} (${CATEGORY_MEANINGS[c]})`).join(', ');
  return normalizePrompt(
    'Review this image for content moderation. ' +
      `Decide which of these categories it shows: ${categories}. ` +
      'Reply with a JSON object with "flagged" (true when any category applies), "categories" (the names of those that apply, [] when none) ' +
      'and "rationale" (one or two sentences on what in the image led to the verdict).' +
      (policy === '' ? '' : ` Apply this policy as well: ${policy}`),
  );
}

export const TEXT_INSTRUCTION = normalizePrompt(
  'Read all the text visible in this image, exactly as written, in natural reading order, one line of text per line. ' +
    'Reply with a JSON object with "text" (the text, "" when there is none) and "language" (the main language of the text as an ISO 639-1 code, null when there is no text).',
);

export function detectionInstruction(labels: readonly string[]): string {
  const what = labels.length > 0 ? `every instance of these objects: ${labels.map((l) => JSON.stringify(l)).join(', ')}` : 'the salient objects';
  return normalizePrompt(
    `Locate ${what} in this image. ` +
      'Reply with a JSON object {"objects": [{"label": ..., "bbox_2d": [x1, y1, x2, y2]}]}, one entry per instance, ' +
      `${labels.length > 0 ? 'the label being one of those given' : 'the label a short name of the object'}; "objects" is [] when there is none.`,
  );
}

export const MAX_LABELS = 20;
export const MAX_LABEL_LENGTH = 100;

/** Labels as asked (normalized, each once regardless of case, sorted: the same set is the same cache key); validated. */
export function normalizeLabels(labels: readonly string[] | null | undefined): string[] {
  const unique = new Map<string, string>();
  for (const raw of labels ?? []) {
    const label = normalizePrompt(raw);
    if (label === '') throw badInput('A label is empty. Name each object to find, or leave labels out for the salient objects.');
    if ([...label].length > MAX_LABEL_LENGTH) throw badInput(`A label is longer than ${MAX_LABEL_LENGTH} characters. Name objects in a few words.`);
    if (/\p{Cc}/u.test(label)) throw badInput('A label contains control characters. Remove them and ask again.');
    if (!unique.has(label.toLowerCase())) unique.set(label.toLowerCase(), label);
  }
  if (unique.size > MAX_LABELS) throw badInput(`At most ${MAX_LABELS} distinct labels can be asked for at once; ${unique.size} were given.`);
  return [...unique.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
