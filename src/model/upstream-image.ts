import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import sharp from 'sharp';
import { fitWithin } from './image-frame.js';
import type { ModelImage } from './provider.js';

/** Formats every OpenAI-compatible VL server decodes; anything else is re-encoded as PNG. */
const PASS_THROUGH = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** The cached data URLs' keys (`maxPixels:mimeType:sha256`) by the sha256 of the bytes they were built from. */
const keysBySha = new Map<string, Set<string>>();
const shaOfKey = (key: string) => key.slice(key.lastIndexOf(':') + 1);

/**
 * Data URLs already built, by image content and QWEN_MAX_PIXELS, bounded by
 * their size: an image asked about again (a fresh question, the next turn of
 * a conversation) is not decoded, rotated, resized or base64-encoded again,
 * nor its blob read (isEncoded).
 */
const encoded = new LRUCache<string, string>({
  maxSize: 64 * 1024 * 1024,
  sizeCalculation: (url) => url.length,
  noDisposeOnSet: true,
  onInsert: (_url, key) => {
    const sha256 = shaOfKey(key);
    keysBySha.set(sha256, (keysBySha.get(sha256) ?? new Set()).add(key));
  },
  dispose: (_url, key) => {
    const keys = keysBySha.get(shaOfKey(key));
    keys?.delete(key);
    if (keys?.size === 0) keysBySha.delete(shaOfKey(key));
  },
});

/** Whether a data URL built from these bytes is cached (for some QWEN_MAX_PIXELS and type): the image may be sent without reading its blob. */
export function isEncoded(sha256: string): boolean {
  return keysBySha.has(sha256);
}

/** Drops the data URLs built from these bytes (their blob was deleted), whatever QWEN_MAX_PIXELS and type they were built for. */
export function forgetEncoded(sha256: string): void {
  for (const key of [...(keysBySha.get(sha256) ?? [])]) encoded.delete(key);
}

/** The image's bytes, read now when they are read on demand (ModelImage.data). */
const bytesOf = (image: ModelImage): Promise<Buffer> | Buffer => (typeof image.data === 'function' ? image.data() : image.data);

/**
 * A stored image whose compressed data does not decode (damage an upload's
 * structural check cannot see): the client's to fix by uploading a whole copy.
 */
export class UndecodableImageError extends Error {
  constructor(sha256: string | undefined, cause: unknown) {
    super(`The image${sha256 ? ` ${sha256.slice(0, 12)}…` : ''} is corrupt: its data cannot be decoded. Upload a whole copy and ask again.`, { cause });
    this.name = 'UndecodableImageError';
  }
}

/**
 * Builds the data URL sent upstream. Images within maxPixels keep their width
 * and height; larger ones are downscaled. EXIF orientation is applied before
 * any re-encoding so the model sees the picture the way people do. The stored
 * original is never touched.
 */
export async function toDataUrl(image: ModelImage, maxPixels: number): Promise<string> {
  const key = `${maxPixels}:${image.mimeType}:${image.sha256 ?? createHash('sha256').update(await bytesOf(image)).digest('hex')}`;
  let url = encoded.get(key);
  if (url === undefined) {
    // Bytes read on demand fail as their store fails (BLOB_MISSING), not as undecodable.
    const original = await bytesOf(image);
    const { data, mimeType } = await encodeForUpstream(original, image, maxPixels).catch((error: unknown) => {
      throw new UndecodableImageError(image.sha256, error);
    });
    url = `data:${mimeType};base64,${data.toString('base64')}`;
    encoded.set(key, url);
  }
  return url;
}

async function encodeForUpstream(original: Buffer, image: ModelImage, maxPixels: number): Promise<{ data: Buffer; mimeType: string }> {
  const target = fitWithin(image.width, image.height, maxPixels);
  const meta = await sharp(original).metadata();
  const oriented = (meta.orientation ?? 1) === 1;
  const resized = target.width !== image.width || target.height !== image.height;
  if (oriented && !resized && PASS_THROUGH.has(image.mimeType)) {
    // Uploads are checked for structure, not decoded: the first use proves the pixels decode (once, then cached above).
    await sharp(original, { failOn: 'truncated', limitInputPixels: false }).resize(32, 32, { fit: 'inside' }).raw().toBuffer();
    return { data: original, mimeType: image.mimeType };
  }

  // width/height are stored already oriented, so rotate first, then resize exactly.
  let pipeline = sharp(original, { failOn: 'truncated', limitInputPixels: false }).rotate();
  if (resized) pipeline = pipeline.resize(target.width, target.height, { fit: 'fill' });
  if (image.mimeType === 'image/jpeg') return { data: await pipeline.jpeg({ quality: 90 }).toBuffer(), mimeType: 'image/jpeg' };
  if (image.mimeType === 'image/webp') return { data: await pipeline.webp({ quality: 90 }).toBuffer(), mimeType: 'image/webp' };
  return { data: await pipeline.png().toBuffer(), mimeType: 'image/png' };
}
