import { z } from 'zod';
import { zodReplyFormat } from '../../../../model/reply-format.js';
import { MODEL_CATEGORIES, type ModerationCategory } from './moderation-category.enum.js';

/** A moderation verdict as stored (the Answer row's JSON text). */
export interface ModerationVerdict {
  flagged: boolean;
  categories: ModerationCategory[];
  rationale: string;
}

const verdict = z.object({
  flagged: z.boolean(),
  categories: z.array(z.enum(MODEL_CATEGORIES)),
  rationale: z.string(),
});

/**
 * The verdict stored when the provider's own content filter (DashScope's 400
 * data_inspection_failed) refuses to look at the image: that refusal is a
 * verdict about the content, not a failure, so it is stored and cached.
 */
export const PROVIDER_REFUSED_VERDICT: ModerationVerdict = {
  flagged: true,
  categories: ['PROVIDER_REFUSED'],
  rationale: "The model provider's content filter refused this image (data_inspection_failed).",
};

/** A category outside the enum, a missing field or a non-boolean verdict fails the reply (retried once, then MODEL_BAD_RESPONSE). */
export const moderationFormat = zodReplyFormat({
  name: 'moderation_v1',
  schema: verdict,
  normalize: (value): ModerationVerdict => ({
    flagged: value.flagged,
    // Each category once, in the enum's order.
    categories: MODEL_CATEGORIES.filter((c) => value.categories.includes(c)),
    rationale: value.rationale.trim(),
  }),
});
