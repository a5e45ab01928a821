import { describe, expect, it } from 'vitest';
import { modelFrame, smartResize } from '../../src/model/image-frame.js';
import { modelFamily } from '../../src/model/model-family.js';
import { imageTokens } from '../../src/model/token-estimate.js';
import { boxFrame, toImageBox } from '../../src/modules/vision/kinds/detection/boxes.js';

// The frame the model sees an image in (issue 23, point 1): the gateway's
// QWEN_MAX_PIXELS downscale, then the endpoint's smart resize per family.

const DASHSCOPE = { maxPixels: 1_003_520, model: 'qwen-vl-max' };

/** The left half of the image as the model writes it: absolute pixels of its frame. */
function leftHalf(image: { width: number; height: number }, sending: typeof DASHSCOPE & { highResolution?: boolean }) {
  const frame = boxFrame(image, sending);
  return toImageBox([0, 0, frame.seenWidth / 2, frame.seenHeight], frame, 'absolute');
}

describe('the frame a Qwen2.5-VL model sees', () => {
  it('rounds each side to the nearest multiple of 28, so boxes map back to the original size (the issue\'s measured cases)', () => {
    expect(modelFrame({ width: 720, height: 477 }, DASHSCOPE)).toEqual({ width: 728, height: 476 });
    expect(leftHalf({ width: 720, height: 477 }, DASHSCOPE)).toEqual({ x: 0, y: 0, width: 360, height: 477 });
    // 112×56 is above the 3,136-pixel minimum: no upscale.
    expect(modelFrame({ width: 100, height: 60 }, DASHSCOPE)).toEqual({ width: 112, height: 56 });
    expect(leftHalf({ width: 100, height: 60 }, DASHSCOPE)).toEqual({ x: 0, y: 0, width: 50, height: 60 });
  });

  it('scales down to the endpoint\'s maximum when QWEN_MAX_PIXELS lets more through, and up to its minimum', () => {
    const large = { ...DASHSCOPE, maxPixels: 4_000_000 };
    // Sent at 2778×1439 (QWEN_MAX_PIXELS), seen at 1372×700 (1,003,520 at most, sides floored to multiples of 28).
    expect(modelFrame({ width: 3013, height: 1561 }, large)).toEqual({ width: 1372, height: 700 });
    const half = leftHalf({ width: 3013, height: 1561 }, large)!;
    expect(Math.abs(half.width - 3013 / 2)).toBeLessThanOrEqual(1);
    expect(half.height).toBe(1561);
    expect(modelFrame({ width: 10, height: 10 }, DASHSCOPE)).toEqual({ width: 56, height: 56 });
  });

  it('keeps up to 16,384 patches with vl_high_resolution_images', () => {
    const high = { ...DASHSCOPE, maxPixels: 4_000_000, highResolution: true };
    expect(modelFrame({ width: 3013, height: 1561 }, high)).toEqual({ width: 2772, height: 1428 });
    const half = leftHalf({ width: 3013, height: 1561 }, high)!;
    expect(Math.abs(half.width - 3013 / 2)).toBeLessThanOrEqual(1);
  });

  it('rounds halves to even, as the reference implementation (Python round) does', () => {
    // 70 / 28 = 2.5 → 2 patches, not 3.
    expect(smartResize(141, 70, { factor: 28, minPixels: 3136, maxPixels: 1_003_520 })).toEqual({ width: 140, height: 56 });
    expect(smartResize(141, 98, { factor: 28, minPixels: 3136, maxPixels: 1_003_520 })).toEqual({ width: 140, height: 112 });
  });
});

describe('model families', () => {
  it('tells Qwen3-VL (32-pixel patches, 0..1000 boxes) from Qwen2.5-VL (28, absolute) by name', () => {
    expect(modelFamily('qwen3-vl-plus')).toMatchObject({ patchSize: 32, boxFormat: 'relative1000', maxOutputTokens: 32768 });
    expect(modelFamily('Qwen/Qwen3-VL-8B-Instruct')).toMatchObject({ patchSize: 32 });
    for (const name of ['qwen-vl-max', 'qwen-vl-plus-latest', 'qwen2.5-vl-72b-instruct', 'Qwen/Qwen2.5-VL-7B-Instruct']) {
      expect(modelFamily(name)).toMatchObject({ patchSize: 28, boxFormat: 'absolute', maxPixels: 1_003_520, maxOutputTokens: 8192 });
    }
    // Unknown models are read like Qwen2.5-VL, with no output cap assumed.
    expect(modelFamily('llava-1.6')).toMatchObject({ patchSize: 28, maxOutputTokens: null });
  });
});

describe('image tokens', () => {
  it('are the patches of the frame plus two markers: (w/28)·(h/28)+2 for Qwen2.5-VL, /32 for Qwen3-VL, at least 4 patches', () => {
    expect(imageTokens(280, 280, DASHSCOPE)).toBe(10 * 10 + 2);
    expect(imageTokens(720, 477, DASHSCOPE)).toBe(26 * 17 + 2);
    // 4000×3000 is sent as 1156×867 and seen as 1148×868.
    expect(imageTokens(4000, 3000, DASHSCOPE)).toBe(41 * 31 + 2);
    // A 10×10 image is scaled up to the minimum of four patches (it was estimated at 3 tokens).
    expect(imageTokens(10, 10, DASHSCOPE)).toBe(4 + 2);
    expect(imageTokens(640, 480, { ...DASHSCOPE, model: 'qwen3-vl-plus' })).toBe(20 * 15 + 2);
    expect(imageTokens(10, 10, { ...DASHSCOPE, model: 'qwen3-vl-plus' })).toBe(4 + 2);
  });
});
