import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Metadata } from 'sharp';
import { GatewayError } from '../../platform/errors.js';
import { structureFault } from './image-structure.js';
import { withFileBytes } from './read-back.js';

/** What the endpoint and this gateway accept, detected from the bytes, never from names or headers. */
export const SUPPORTED_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;

/** Qwen VL's own rules: each side at least 10 px, aspect ratio at most 200:1. */
const MIN_SIDE = 10;
const MAX_ASPECT = 200;

export interface ImageFacts {
  mimeType: string;
  /** Display size, with EXIF orientation applied. */
  width: number;
  height: number;
}

export async function detectMimeType(head: Buffer): Promise<string> {
  const detected = await fileTypeFromBuffer(head);
  const mime = detected?.mime;
  if (!mime || !(SUPPORTED_MIME_TYPES as readonly string[]).includes(mime)) {
    throw new GatewayError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${detected ? `This file is ${detected.mime}, which` : 'This file is not a recognised image and'} is not supported. Upload JPEG, PNG, WebP or GIF.`,
    );
  }
  return mime;
}

/**
 * Reads the size from the header only, judges it, and only then walks the
 * file's structure to prove it is whole (image-structure.ts): no pixel is
 * decoded at upload, so a decompression bomb is refused before any could be.
 * The full decode happens at the image's first use (model/upstream-image.ts).
 */
export async function inspectImage(file: string, mimeType: string, maxPixels: number): Promise<ImageFacts> {
  let meta: Metadata;
  try {
    // Header only; sharp's own pixel cap would reject a bomb here as if it were corrupt.
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(error);
  }
  const rotated = (meta.orientation ?? 1) >= 5; // EXIF 5–8 swap the axes
  const width = rotated ? meta.height : meta.width;
  const height = rotated ? meta.width : meta.height;
  if (!width || !height) throw corrupt();
  if (width * height > maxPixels) {
    throw new GatewayError('IMAGE_TOO_LARGE', `The image is ${width}×${height} (${width * height} pixels); the limit is ${maxPixels} pixels (MAX_IMAGE_PIXELS). Downscale it and upload again.`);
  }
  if (Math.min(width, height) < MIN_SIDE) {
    throw new GatewayError('BAD_USER_INPUT', `The image is ${width}×${height}; each side must be at least ${MIN_SIDE} pixels.`);
  }
  if (Math.max(width, height) / Math.min(width, height) > MAX_ASPECT) {
    throw new GatewayError('BAD_USER_INPUT', `The image is ${width}×${height}; its aspect ratio must be at most ${MAX_ASPECT}:1.`);
  }
  const fault = await withFileBytes(file, (bytes) => structureFault(bytes, mimeType));
  if (fault) throw new GatewayError('BAD_USER_INPUT', `The image data is corrupt or truncated (${fault}). Upload the file again.`);
  return { mimeType, width, height };
}

function corrupt(cause?: unknown): GatewayError {
  return new GatewayError('BAD_USER_INPUT', 'The image data is corrupt or truncated and cannot be decoded. Upload the file again.', { cause });
}
