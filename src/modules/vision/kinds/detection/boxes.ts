import { modelFrame, type ImageSending } from '../../../../model/image-frame.js';
import { modelFamily, type BoxFormat } from '../../../../model/model-family.js';

/**
 * Boxes as the model writes them, back to the stored image. Qwen2.5-VL gives
 * `[x1, y1, x2, y2]` in absolute pixels of the frame it saw the image in
 * (image-frame.ts: the QWEN_MAX_PIXELS downscale, then the endpoint's own
 * smart resize), Qwen3-VL the same corners scaled to 0..1000. Either is
 * mapped to pixels of the stored image as displayed (EXIF orientation
 * applied: the stored width and height already are), clamped to it; a box
 * that is malformed, or has no area left inside the image, is none.
 */
export type BoxFormatSetting = BoxFormat | 'auto';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The stored image and the frame the model saw it in. */
export interface BoxFrame {
  width: number;
  height: number;
  seenWidth: number;
  seenHeight: number;
}

/** The frame of `sending.model`: boxes depend on the model that answered. */
export function boxFrame(image: { width: number; height: number }, sending: ImageSending): BoxFrame {
  const seen = modelFrame(image, sending);
  return { width: image.width, height: image.height, seenWidth: seen.width, seenHeight: seen.height };
}

/** QWEN_BOX_FORMAT for the model that answered: auto means its family's (model-family.ts). */
export function boxFormatOf(setting: BoxFormatSetting, model: string): BoxFormat {
  return setting === 'auto' ? modelFamily(model).boxFormat : setting;
}

const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max);

/** `[x1, y1, x2, y2]` in the model's convention as a Box in stored-image pixels, or null. */
export function toImageBox(corners: readonly number[], frame: BoxFrame, format: BoxFormat): Box | null {
  if (corners.length !== 4 || !corners.every(Number.isFinite)) return null;
  const [x1, y1, x2, y2] = corners as [number, number, number, number];
  const scaleX = format === 'relative1000' ? frame.width / 1000 : frame.width / frame.seenWidth;
  const scaleY = format === 'relative1000' ? frame.height / 1000 : frame.height / frame.seenHeight;
  const left = Math.round(clamp(x1 * scaleX, frame.width));
  const top = Math.round(clamp(y1 * scaleY, frame.height));
  const right = Math.round(clamp(x2 * scaleX, frame.width));
  const bottom = Math.round(clamp(y2 * scaleY, frame.height));
  if (right <= left || bottom <= top) return null;
  return { x: left, y: top, width: right - left, height: bottom - top };
}
