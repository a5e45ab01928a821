/**
 * Real Chromium for the end-to-end tests: Debian's `chromium` driven by
 * playwright-core (Playwright's own browser download cannot work here).
 * The run's global setup looks for it once (test/support/test-services.ts):
 * without one the browser tests are left out, and under CI=true the run fails.
 */
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { chromiumMissing, services } from '../support/services.js';

export { chromiumMissing };

/** Headless, and nothing that would phone home (the machine has no network but the registries). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: services.chromiumPath,
    headless: true,
    chromiumSandbox: false, // root in CI; adds --no-sandbox
    // A fresh temporary profile (user-data-dir) per launch is Playwright's default.
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A photo-like JPEG: a diagonal gradient with noise (so it compresses like a
 * photo, not like a flat fixture), stored `width`×`height` with an EXIF
 * orientation, so it displays rotated when `orientation` is 5 to 8.
 */
export async function makePhoto(options: { width: number; height: number; orientation?: number; tint: [number, number, number]; seed: number }): Promise<Buffer> {
  const { width, height, tint } = options;
  const pixels = Buffer.alloc(width * height * 3);
  let state = options.seed;
  const noise = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return (state % 41) - 20;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) pixels[i + c] = Math.max(0, Math.min(255, Math.round(tint[c]! * (0.35 + 0.65 * t) + noise())));
    }
  }
  const jpeg = sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 82, mozjpeg: true });
  return (options.orientation ? jpeg.withMetadata({ orientation: options.orientation }) : jpeg).toBuffer();
}

/** A PNG screenshot recompressed small for the docs (palette, max compression). */
export async function compressScreenshot(png: Buffer, file: string): Promise<void> {
  await sharp(png).png({ palette: true, quality: 80, compressionLevel: 9, effort: 10 }).toFile(file);
}
