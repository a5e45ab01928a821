/**
 * The generated near-duplicate set (docs/near-duplicates.md): photo-like scenes
 * and screenshots, each with variants that must match it (re-encodes, resizes,
 * format changes, metadata) and negatives that must not (crops, flips, colour
 * edits, different text on the same background). Made with sharp in memory,
 * deterministic per seed; shared by the integration test and the bench.
 */
import { createHash } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';

export interface GeneratedImage {
  name: string;
  bytes: Buffer;
}

export interface NearDuplicateCase {
  kind: 'photo' | 'screenshot';
  original: GeneratedImage;
  /** Must be found as near-duplicates of the original. */
  variants: GeneratedImage[];
  /** Must not. */
  negatives: GeneratedImage[];
}

const WIDTH = 960;
const HEIGHT = 720;

/** Deterministic numbers in [0, 1) from a seed (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const colour = (next: () => number) => `rgb(${Math.floor(next() * 256)},${Math.floor(next() * 256)},${Math.floor(next() * 256)})`;

/** A landscape-ish scene: a gradient sky, a ground, shapes, and sensor-like noise (a photo's entropy). */
async function photoPixels(seed: number): Promise<Sharp> {
  const next = random(seed);
  const shapes = Array.from({ length: 14 }, () => {
    const x = Math.floor(next() * WIDTH);
    const y = Math.floor(next() * HEIGHT);
    const size = 30 + Math.floor(next() * 220);
    return next() < 0.5
      ? `<ellipse cx="${x}" cy="${y}" rx="${size}" ry="${Math.floor(size * (0.4 + next()))}" fill="${colour(next)}" opacity="0.85"/>`
      : `<rect x="${x}" y="${y}" width="${size}" height="${Math.floor(size * (0.3 + next()))}" fill="${colour(next)}" transform="rotate(${Math.floor(next() * 90)} ${x} ${y})"/>`;
  });
  const horizon = Math.floor(HEIGHT * (0.4 + next() * 0.3));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${colour(next)}"/><stop offset="1" stop-color="${colour(next)}"/></linearGradient></defs>
    <rect width="${WIDTH}" height="${HEIGHT}" fill="url(#sky)"/>
    <rect y="${horizon}" width="${WIDTH}" height="${HEIGHT - horizon}" fill="${colour(next)}"/>
    ${shapes.join('\n')}
  </svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i]! + Math.floor((next() - 0.5) * 24)));
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
}

/**
 * Text drawn with a synthetic 5×7 bitmap font (each character's strokes from
 * a hash of it), so the set renders the same on a machine without fonts.
 */
function textSvg(lines: string[], x: number, y: number, pixel: number, fill: string): string {
  const rects: string[] = [];
  lines.forEach((line, row) => {
    [...line].forEach((char, column) => {
      if (char === ' ') return;
      const bits = createHash('sha256').update(char).digest();
      for (let cell = 0; cell < 35; cell++) {
        if (((bits[cell >> 3]! >> (cell & 7)) & 1) === 0) continue;
        const cx = x + column * 6 * pixel + (cell % 5) * pixel;
        const cy = y + row * 10 * pixel + Math.floor(cell / 5) * pixel;
        rects.push(`<rect x="${cx}" y="${cy}" width="${pixel}" height="${pixel}"/>`);
      }
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}"><g fill="${fill}">${rects.join('')}</g></svg>`;
}

const WORDS = 'invoice total revenue error build failed report margin stable approved shipped parcel team notes password reset code lunch friday inbox unread costs line column expected string number outlook quarter finance'.split(' ');

/** A page of text: `lines` lines of seeded words, up to 56 characters each. */
function pageOfText(seed: number, lines: number): string[] {
  const next = random(seed);
  return Array.from({ length: lines }, () => {
    let line = '';
    while (line.length < 40 + next() * 16) line += `${WORDS[Math.floor(next() * WORDS.length)]} `;
    return line.trim();
  });
}

/** A window: a title bar, a panel, and lines of small text (glyphs 10×14 px) in the synthetic font. */
async function screenshotPixels(seed: number, text: string[]): Promise<Sharp> {
  const next = random(seed);
  const frame = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">
    <rect width="${WIDTH}" height="${HEIGHT}" fill="rgb(${236 + Math.floor(next() * 16)},${236 + Math.floor(next() * 16)},${240})"/>
    <rect width="${WIDTH}" height="56" fill="${colour(next)}"/>
    <rect x="40" y="96" width="${WIDTH - 80}" height="${HEIGHT - 150}" fill="#ffffff" stroke="#c8c8d0" stroke-width="2"/>
  </svg>`;
  const rendered = await sharp(Buffer.from(frame))
    .composite([{ input: Buffer.from(textSvg(text, 80, 130, 2, '#202028')) }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(rendered.data, { raw: { width: rendered.info.width, height: rendered.info.height, channels: 3 } });
}

const jpeg = (image: Sharp, quality: number) => image.jpeg({ quality }).toBuffer();

/** Every variant the issue lists: re-encodes, resizes 50–200 %, PNG/WebP, EXIF stripped and added. */
async function variantsOf(original: Buffer): Promise<GeneratedImage[]> {
  const from = () => sharp(original);
  const resized = (percent: number) => from().resize(Math.round((WIDTH * percent) / 100));
  return [
    ...(await Promise.all([90, 70, 50, 30].map(async (quality) => ({ name: `jpeg-q${quality}`, bytes: await jpeg(from(), quality) })))),
    ...(await Promise.all([50, 75, 150, 200].map(async (percent) => ({ name: `resize-${percent}`, bytes: await jpeg(resized(percent), 85) })))),
    { name: 'png', bytes: await from().png().toBuffer() },
    { name: 'webp', bytes: await from().webp({ quality: 80 }).toBuffer() },
    { name: 'exif-added', bytes: await from().jpeg({ quality: 92 }).withExif({ IFD0: { Copyright: 'Near-duplicate set', Artist: 'bench' } }).toBuffer() },
    { name: 'exif-stripped', bytes: await from().jpeg({ quality: 92 }).toBuffer() },
  ];
}

/** Crops (10–30 % away), flips, colour edits. */
async function negativesOf(original: Buffer): Promise<GeneratedImage[]> {
  const from = () => sharp(original);
  const crop = (left: number, top: number, keep: number) => from().extract({ left: Math.round(WIDTH * left), top: Math.round(HEIGHT * top), width: Math.round(WIDTH * keep), height: Math.round(HEIGHT * keep) });
  const negatives: Array<[string, Sharp]> = [
    ['crop-10-corner', crop(0, 0, 0.9)],
    ['crop-10-centre', crop(0.05, 0.05, 0.9)],
    ['crop-30', crop(0.15, 0.15, 0.7)],
    ['flip-horizontal', from().flop()],
    ['flip-vertical', from().flip()],
    ['greyscale', from().greyscale()],
    ['hue-rotated', from().modulate({ hue: 90 })],
    ['brighter', from().modulate({ brightness: 1.25 })],
    ['desaturated', from().modulate({ saturation: 0.4 })],
    ['tinted', from().tint('#c08040')],
  ];
  return Promise.all(negatives.map(async ([name, image]) => ({ name, bytes: await jpeg(image, 90) })));
}

/** `photos` scenes and `screenshots` windows (the original is JPEG quality 95). */
export async function nearDuplicateSet(photos: number, screenshots: number): Promise<NearDuplicateCase[]> {
  const cases: NearDuplicateCase[] = [];
  for (let i = 0; i < photos; i++) {
    const original = await jpeg(await photoPixels(1000 + i), 95);
    cases.push({ kind: 'photo', original: { name: `photo-${i}`, bytes: original }, variants: await variantsOf(original), negatives: await negativesOf(original) });
  }
  for (let i = 0; i < screenshots; i++) {
    const text = pageOfText(3000 + i, 22);
    const screenshot = async (lines: string[]) => jpeg(await screenshotPixels(2000 + i, lines), 95);
    const original = await screenshot(text);
    const otherText = [
      { name: 'other-text', bytes: await screenshot(pageOfText(4000 + i, 22)) },
      { name: 'one-line-changed', bytes: await screenshot(text.map((line, n) => (n === 5 ? pageOfText(5000 + i, 1)[0]! : line))) },
    ];
    cases.push({ kind: 'screenshot', original: { name: `screenshot-${i}`, bytes: original }, variants: await variantsOf(original), negatives: [...(await negativesOf(original)), ...otherText] });
  }
  return cases;
}
