import { registerEnumType } from 'type-graphql';

/** The categories a moderation verdict names (the list, in its order; part of the moderation instruction). */
export const MODERATION_CATEGORIES = ['SEXUAL', 'MINORS', 'VIOLENCE', 'GORE', 'HATE', 'HARASSMENT', 'SELF_HARM', 'WEAPONS', 'DRUGS', 'OTHER'] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

export const ModerationCategory = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, c])) as { [C in ModerationCategory]: C };

registerEnumType(ModerationCategory, { name: 'ModerationCategory', description: 'What a moderation verdict found (docs/vision.md, "Moderation").' });
