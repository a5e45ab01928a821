import { normalizePrompt } from '../../../answers/prompts.js';
import type { StructuredKind } from '../result-kind.js';
import { imageTextFormat } from './image-text.format.js';

/** Part of the cache key (after the format's versioned name): a change here asks the model again. */
export const TEXT_INSTRUCTION = normalizePrompt(
  'Read all the text visible in this image, exactly as written, in natural reading order, one line of text per line. ' +
    'Reply with a JSON object with "text" (the text, "" when there is none) and "language" (the main language of the text as an ISO 639-1 code, null when there is no text).',
);

/** The text in an image. */
export const textKind: StructuredKind = {
  name: 'TEXT',
  structured: () => ({ format: imageTextFormat, instruction: TEXT_INSTRUCTION }),
};
