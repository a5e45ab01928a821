import { badInput } from '../../../../platform/errors.js';
import { normalizePrompt } from '../../../answers/prompts.js';
import type { StructuredKind } from '../result-kind.js';
import { boxFrame } from './boxes.js';
import { detectionFormat } from './detection.format.js';

/** Part of the cache key (after the format's versioned name): a change here asks the model again. */
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

/**
 * Objects located with boxes: the labels asked for (none: the salient
 * objects; BAD_USER_INPUT for unusable ones). Boxes are in the image's own
 * pixels, so a near-duplicate's detection serves only an image of the same size.
 */
export const detectionKind: StructuredKind<readonly string[] | null | undefined> = {
  name: 'DETECTION',
  structured: (image, { maxPixels, highResolution, boxFormat }, labels) => {
    const asked = normalizeLabels(labels);
    const format = detectionFormat(asked, (model) => boxFrame(image, { maxPixels, highResolution, model }), boxFormat);
    return { format, instruction: detectionInstruction(asked), sameSizeImagesOnly: true };
  },
};
