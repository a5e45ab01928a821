import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { structureFault } from '../../src/modules/images/image-structure.js';
import { MIME, type FixtureFormat } from '../support/images.js';

/** Noise: incompressible, so every part of the file carries pixels and a cut anywhere loses some. */
function noise(width: number, height: number) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (Math.imul(i, 2654435761) >>> 13) & 255;
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

const encoders: Record<string, { format: FixtureFormat; encode: () => Promise<Buffer> }> = {
  'baseline JPEG': { format: 'jpeg', encode: () => noise(120, 90).jpeg({ quality: 90 }).toBuffer() },
  'progressive JPEG with EXIF': { format: 'jpeg', encode: () => noise(120, 90).jpeg({ progressive: true }).withMetadata({ orientation: 6 }).toBuffer() },
  PNG: { format: 'png', encode: () => noise(120, 90).png().toBuffer() },
  'lossy WebP': { format: 'webp', encode: () => noise(120, 90).webp({ quality: 80 }).toBuffer() },
  'lossless WebP': { format: 'webp', encode: () => noise(120, 90).webp({ lossless: true }).toBuffer() },
  GIF: { format: 'gif', encode: () => noise(120, 90).gif().toBuffer() },
};

describe('structureFault', () => {
  it.each(Object.keys(encoders))('finds a whole %s whole', async (name) => {
    const { format, encode } = encoders[name]!;
    expect(structureFault(await encode(), MIME[format])).toBeNull();
  });

  it.each(Object.keys(encoders))('finds a %s cut anywhere truncated', async (name) => {
    const { format, encode } = encoders[name]!;
    const bytes = await encode();
    // GIF: a file missing only its trailer byte is accepted by design (some encoders omit it).
    const last = format === 'gif' ? bytes.length - 2 : bytes.length - 1;
    const cuts = [...Array(40).keys()].map((i) => Math.floor((bytes.length * i) / 40)).concat(last);
    for (const cut of cuts) expect(structureFault(bytes.subarray(0, cut), MIME[format]), `cut at ${cut} of ${bytes.length}`).not.toBeNull();
  });

  it('accepts bytes after a JPEG’s end marker (camera trailers, multi-picture files)', async () => {
    const jpeg = await encoders['baseline JPEG']!.encode();
    expect(structureFault(Buffer.concat([jpeg, Buffer.from('trailing maker data')]), 'image/jpeg')).toBeNull();
  });

  it('finds a PNG with a damaged byte in its pixels by its checksum', async () => {
    const png = await encoders.PNG!.encode();
    const idat = png.indexOf('IDAT', 8, 'latin1');
    png[idat + 100] = png[idat + 100]! ^ 0x01;
    expect(structureFault(png, 'image/png')).toMatch(/"IDAT".*checksum/);
  });

  it('refuses a JPEG without image data and a PNG without IDAT', async () => {
    // SOI then EOI: well-formed markers, nothing to show.
    expect(structureFault(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'image/jpeg')).toMatch(/no image data/);
    const png = await encoders.PNG!.encode();
    const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
    const iend = Buffer.alloc(12);
    iend.write('IEND', 4, 'latin1');
    iend.writeUInt32BE(crc32(Buffer.from('IEND', 'latin1')), 8);
    expect(structureFault(Buffer.concat([png.subarray(0, ihdrEnd), iend]), 'image/png')).toMatch(/no image data/);
  });
});
