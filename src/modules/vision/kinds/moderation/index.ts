import { defineResultKind } from '../result-kind.js';
import { moderationResolvers } from './moderation.resolver.js';

/** Moderation verdicts (docs/vision.md, "Moderation"). */
export const moderation = defineResultKind({
  name: 'MODERATION',
  resolvers: moderationResolvers,
});
