import sharp from 'sharp';
import type { ModelImage } from './provider.js';

/** Formats every OpenAI-compatible VL server decodes; anything else is re-encoded as PNG. */
const PASS_THROUGH = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** Largest width × height within maxPixels that keeps the aspect ratio. */
export function fitWithin(width: number, height: number, maxPixels: number): { width: number; height: number } {
  if (width * height <= maxPixels) return { width, height };
  const scale = Math.sqrt(maxPixels / (width * height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

/**
 * Builds the data URL sent upstream. Images within maxPixels keep their width
 * and height; larger ones are downscaled. EXIF orientation is applied before
 * any re-encoding so the model sees the picture the way people do. The stored
 * original is never touched.
 */
export async function toDataUrl(image: ModelImage, maxPixels: number): Promise<string> {
  const { data, mimeType } = await encodeForUpstream(image, maxPixels);
  return `data:${mimeType};base64,${data.toString('base64')}`;
}

async function encodeForUpstream(image: ModelImage, maxPixels: number): Promise<{ data: Buffer; mimeType: string }> {
  const target = fitWithin(image.width, image.height, maxPixels);
  const meta = await sharp(image.data).metadata();
  const oriented = (meta.orientation ?? 1) === 1;
  const resized = target.width !== image.width || target.height !== image.height;
  if (oriented && !resized && PASS_THROUGH.has(image.mimeType)) return { data: image.data, mimeType: image.mimeType };

  // width/height are stored already oriented, so rotate first, then resize exactly.
  let pipeline = sharp(image.data, { limitInputPixels: false }).rotate();
  if (resized) pipeline = pipeline.resize(target.width, target.height, { fit: 'fill' });
  if (image.mimeType === 'image/jpeg') return { data: await pipeline.jpeg({ quality: 90 }).toBuffer(), mimeType: 'image/jpeg' };
  if (image.mimeType === 'image/webp') return { data: await pipeline.webp({ quality: 90 }).toBuffer(), mimeType: 'image/webp' };
  return { data: await pipeline.png().toBuffer(), mimeType: 'image/png' };
}
