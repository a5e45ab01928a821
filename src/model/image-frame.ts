/**
 * The frame a model sees an image in. The gateway sends the image at its own
 * size, downscaled to QWEN_MAX_PIXELS (upstream-image.ts); the endpoint then
 * resizes it again ("smart resize", as in qwen-vl-utils and Model Studio's
 * token formula): each side rounded to the nearest multiple of the patch
 * size, then, when the area is above the family's maximum, scaled down (each
 * side floored to a multiple), or when below its minimum, scaled up (ceiled).
 * Absolute boxes are in this frame, and the image's tokens are its patches.
 * test/fake-qwen/frame.ts computes the same on its own, on purpose: the fake
 * endpoint is the yardstick this code is tested against, so they share nothing.
 */
import { modelFamily, type ModelFamily } from './model-family.js';

/** How images reach the model: QWEN_MAX_PIXELS, the model (its family) and QWEN_HIGH_RESOLUTION_IMAGES. */
export interface ImageSending {
  maxPixels: number;
  /** The model asked; no name reads as Qwen2.5-VL (model-family.ts). */
  model?: string;
  highResolution?: boolean;
}

export interface Size {
  width: number;
  height: number;
}

/** Largest width × height within maxPixels that keeps the aspect ratio: the size the gateway sends. */
export function fitWithin(width: number, height: number, maxPixels: number): Size {
  if (width * height <= maxPixels) return { width, height };
  const scale = Math.sqrt(maxPixels / (width * height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

/** Python's round(): halves go to the even neighbour, as in the reference implementation. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

export interface ResizeLimits {
  factor: number;
  minPixels: number;
  maxPixels: number;
}

/** The endpoint's smart resize of an image of this size. */
export function smartResize(width: number, height: number, { factor, minPixels, maxPixels }: ResizeLimits): Size {
  let w = Math.max(factor, roundHalfEven(width / factor) * factor);
  let h = Math.max(factor, roundHalfEven(height / factor) * factor);
  if (w * h > maxPixels) {
    const beta = Math.sqrt((width * height) / maxPixels);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
  } else if (w * h < minPixels) {
    const beta = Math.sqrt(minPixels / (width * height));
    w = Math.ceil((width * beta) / factor) * factor;
    h = Math.ceil((height * beta) / factor) * factor;
  }
  return { width: w, height: h };
}

function resizeLimits(family: ModelFamily, highResolution: boolean): ResizeLimits {
  return { factor: family.patchSize, minPixels: family.minPixels, maxPixels: highResolution ? family.highResolutionMaxPixels : family.maxPixels };
}

/** The frame the model sees a stored image (its oriented width and height) in. */
export function modelFrame(image: Size, sending: ImageSending): Size {
  const sent = fitWithin(image.width, image.height, sending.maxPixels);
  return smartResize(sent.width, sent.height, resizeLimits(modelFamily(sending.model ?? ''), sending.highResolution ?? false));
}
