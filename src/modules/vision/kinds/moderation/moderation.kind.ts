import { storedCategories } from '../../../answers/answer.repository.js';
import { normalizePrompt } from '../../../answers/prompts.js';
import type { StructuredKind } from '../result-kind.js';
import { MODEL_CATEGORIES } from './moderation-category.enum.js';
import { moderationFormat, PROVIDER_REFUSED_VERDICT, type ModerationVerdict } from './moderation.format.js';

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

/** Part of the cache key (after the format's versioned name): a change here asks the model again rather than serving old verdicts. */
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

/** A verdict's filter columns, from its stored JSON. */
function moderationColumns(json: string) {
  const verdict = JSON.parse(json) as ModerationVerdict;
  return { flagged: verdict.flagged, categories: storedCategories(verdict.categories) };
}

const whenContentFiltered = JSON.stringify(PROVIDER_REFUSED_VERDICT);

/** A moderation verdict (MODERATION_POLICY appended to the instruction); the provider's own refusal is a verdict too. */
export const moderationKind: StructuredKind = {
  name: 'MODERATION',
  structured: (_image, { moderationPolicy }) => ({ format: moderationFormat, instruction: moderationInstruction(moderationPolicy), columns: moderationColumns, whenContentFiltered }),
};
