import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { RecordedImage } from './types.js';

/**
 * Mean sRGB colour as `#rrggbb`. The pixels are first normalised to 8-bit sRGB without alpha,
 * so 16-bit PNGs, greyscale and palette images all compare with ordinary RGB fixtures.
 */
export async function meanColorHex(buf: Buffer): Promise<string> {
  const { data, info } = await sharp(buf)
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const { channels } = await sharp(data, {
    raw: { width: info.width, height: info.height, channels: info.channels },
  }).stats();
  const hex = channels
    .slice(0, 3)
    .map((c) => Math.round(c.mean).toString(16).padStart(2, '0'))
    .join('');
  return `#${hex}`;
}

/** Decode an image file the way the fake records it. Throws when sharp cannot decode it. */
export async function describeImage(buf: Buffer, mime: string): Promise<RecordedImage> {
  const meta = await sharp(buf).metadata();
  return {
    mime,
    // Oriented size: an image stored sideways with an EXIF tag is seen upright by a viewer.
    width: meta.autoOrient.width,
    height: meta.autoOrient.height,
    bytes: buf.length,
    sha256: createHash('sha256').update(buf).digest('hex'),
    meanColor: await meanColorHex(buf),
  };
}

type Seen = Pick<RecordedImage, 'width' | 'height' | 'meanColor'>;

/** The fake's deterministic answer: derived from the image so tests can see it arrived intact. */
export function expectedAnswer(image: Seen, prompt: string): string {
  return expectedImagesAnswer([image], prompt);
}

/** The answer about several images (a multi-image question or a conversation): each image, in order, then the last prompt. */
export function expectedImagesAnswer(images: readonly Seen[], prompt: string): string {
  return `${images.map((image) => `${image.width}x${image.height} ${image.meanColor}`).join(' + ')} :: ${prompt}`;
}
