import { registerEnumType } from 'type-graphql';

/** The categories a moderation verdict names (the list, in its order; part of the moderation instruction). */
export const MODEL_CATEGORIES = ['SEXUAL', 'MINORS', 'VIOLENCE', 'GORE', 'HATE', 'HARASSMENT', 'SELF_HARM', 'WEAPONS', 'DRUGS', 'OTHER'] as const;
/** Every category a stored verdict may name: the model's, and PROVIDER_REFUSED (the provider's own content filter refused the image; never asked of the model). */
export const MODERATION_CATEGORIES = [...MODEL_CATEGORIES, 'PROVIDER_REFUSED'] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

export const ModerationCategory = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, c])) as { [C in ModerationCategory]: C };

registerEnumType(ModerationCategory, { name: 'ModerationCategory', description: 'What a moderation verdict found (docs/vision.md, "Moderation").' });
