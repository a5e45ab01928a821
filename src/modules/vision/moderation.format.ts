import { z } from 'zod';
import { zodReplyFormat } from '../../model/reply-format.js';
import { MODERATION_CATEGORIES, type ModerationCategory } from './moderation-category.enum.js';

/** A moderation verdict as stored (the Answer row's JSON text). */
export interface ModerationVerdict {
  flagged: boolean;
  categories: ModerationCategory[];
  rationale: string;
}

const verdict = z.object({
  flagged: z.boolean(),
  categories: z.array(z.enum(MODERATION_CATEGORIES)),
  rationale: z.string(),
});

/** A category outside the enum, a missing field or a non-boolean verdict fails the reply (retried once, then MODEL_BAD_RESPONSE). */
export const moderationFormat = zodReplyFormat({
  name: 'moderation_v1',
  schema: verdict,
  normalize: (value): ModerationVerdict => ({
    flagged: value.flagged,
    // Each category once, in the enum's order.
    categories: MODERATION_CATEGORIES.filter((c) => value.categories.includes(c)),
    rationale: value.rationale.trim(),
  }),
});
