/** Image fixtures generated in memory with sharp, so no binary files are committed. */
import sharp from 'sharp';
import { meanColorHex } from '../fake-qwen/image.js';

export type FixtureFormat = 'png' | 'jpeg' | 'webp' | 'gif';

export interface MakeImageOptions {
  format: FixtureFormat;
  width: number;
  height: number;
  /** `#rrggbb`; defaults to a mid grey-blue that is not symmetric in its channels. */
  color?: string;
  /** JPEG only: the EXIF Orientation tag (1-8). Pixels are stored width x height regardless. */
  exifOrientation?: number;
}

export const MIME: Record<FixtureFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

function parseHex(color: string): { r: number; g: number; b: number } {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) throw new Error(`color must be #rrggbb, got ${color}`);
  return { r: parseInt(m[1]!, 16), g: parseInt(m[2]!, 16), b: parseInt(m[3]!, 16) };
}

/** A solid-colour image of exactly width x height stored pixels. */
export async function makeImage(opts: MakeImageOptions): Promise<Buffer> {
  const { format, width, height, color = '#3366cc', exifOrientation } = opts;
  if (exifOrientation !== undefined && format !== 'jpeg') throw new Error('exifOrientation is for jpeg only');
  const img = sharp({ create: { width, height, channels: 3, background: parseHex(color) } });
  switch (format) {
    case 'png':
      return img.png().toBuffer();
    case 'jpeg': {
      // 4:4:4 and high quality keep a solid colour within a unit or two of the requested one.
      const jpeg = img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' });
      // withMetadata, not withExif: sharp writes Orientation only from its own field (it also embeds an sRGB profile).
      return (exifOrientation === undefined ? jpeg : jpeg.withMetadata({ orientation: exifOrientation })).toBuffer();
    }
    case 'webp':
      return img.webp({ lossless: true }).toBuffer(); // lossy WebP shifts colours through YUV
    case 'gif':
      return img.gif().toBuffer();
  }
}

/** Mean colour of an image as `#rrggbb`, computed exactly as the fake Qwen endpoint does. */
export function solidColorHex(buf: Buffer): Promise<string> {
  return meanColorHex(buf);
}

/** Largest per-channel difference between two `#rrggbb` colours, for comparisons after re-encoding. */
export function colorDistance(a: string, b: string): number {
  const x = parseHex(a);
  const y = parseHex(b);
  return Math.max(Math.abs(x.r - y.r), Math.abs(x.g - y.g), Math.abs(x.b - y.b));
}

/** A data URL as the gateway sends it upstream. */
export function toDataUrl(buf: Buffer, mime: string): string {
  return `data:${mime};base64,${buf.toString('base64')}`;
}
