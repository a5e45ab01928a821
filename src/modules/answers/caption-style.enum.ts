import { registerEnumType } from 'type-graphql';
import { CAPTION_STYLES, type CaptionStyle as Style } from './prompts.js';

/** type-graphql wants a TS enum-like object; this one is derived from the service's list. */
export const CaptionStyle = Object.fromEntries(CAPTION_STYLES.map((s) => [s, s])) as { [K in Style]: K };
export type CaptionStyle = Style;

registerEnumType(CaptionStyle, {
  name: 'CaptionStyle',
  description: 'BRIEF: one sentence. DETAILED: a paragraph. ALT_TEXT: screen-reader text, at most 125 characters.',
});
