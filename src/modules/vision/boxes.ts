import { fitWithin } from '../../model/upstream-image.js';

/**
 * Boxes as the model writes them, back to the stored image. Qwen2.5-VL gives
 * `[x1, y1, x2, y2]` in absolute pixels of the image it was sent (after the
 * QWEN_MAX_PIXELS downscale), Qwen3-VL the same corners scaled to 0..1000.
 * Either is mapped to pixels of the stored image as displayed (EXIF
 * orientation applied: the stored width and height already are), clamped to
 * it; a box that is malformed, or has no area left inside the image, is none.
 */
export type BoxFormat = 'absolute' | 'relative1000';
export type BoxFormatSetting = BoxFormat | 'auto';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The stored image and the size it is sent at. */
export interface BoxFrame {
  width: number;
  height: number;
  sentWidth: number;
  sentHeight: number;
}

export function boxFrame(image: { width: number; height: number }, maxPixels: number): BoxFrame {
  const sent = fitWithin(image.width, image.height, maxPixels);
  return { width: image.width, height: image.height, sentWidth: sent.width, sentHeight: sent.height };
}

/** QWEN_BOX_FORMAT for the model that answered: auto means relative1000 for Qwen3 models, absolute otherwise. */
export function boxFormatOf(setting: BoxFormatSetting, model: string): BoxFormat {
  if (setting !== 'auto') return setting;
  return /qwen3/i.test(model) ? 'relative1000' : 'absolute';
}

const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);

/** `[x1, y1, x2, y2]` in the model's convention as a Box in stored-image pixels, or null. */
export function toImageBox(corners: readonly number[], frame: BoxFrame, format: BoxFormat): Box | null {
  if (corners.length !== 4 || !corners.every(Number.isFinite)) return null;
  const [x1, y1, x2, y2] = corners as [number, number, number, number];
  const scaleX = format === 'relative1000' ? frame.width / 1000 : frame.width / frame.sentWidth;
  const scaleY = format === 'relative1000' ? frame.height / 1000 : frame.height / frame.sentHeight;
  const left = Math.round(clamp(x1 * scaleX, frame.width));
  const top = Math.round(clamp(y1 * scaleY, frame.height));
  const right = Math.round(clamp(x2 * scaleX, frame.width));
  const bottom = Math.round(clamp(y2 * scaleY, frame.height));
  if (right <= left || bottom <= top) return null;
  return { x: left, y: top, width: right - left, height: bottom - top };
}
