import { describe, expect, it } from 'vitest';
import { boxFormatOf, boxFrame, toImageBox } from '../../src/modules/vision/kinds/detection/boxes.js';

describe('box conventions', () => {
  it('picks the convention by model name unless QWEN_BOX_FORMAT says', () => {
    expect(boxFormatOf('auto', 'qwen3-vl-plus')).toBe('relative1000');
    expect(boxFormatOf('auto', 'Qwen/Qwen3-VL-8B-Instruct')).toBe('relative1000');
    expect(boxFormatOf('auto', 'qwen2.5-vl-72b-instruct')).toBe('absolute');
    expect(boxFormatOf('absolute', 'qwen3-vl-plus')).toBe('absolute');
    expect(boxFormatOf('relative1000', 'qwen-vl-max')).toBe('relative1000');
  });

  it('maps absolute pixels of the frame the model saw and 0..1000 back to the stored image', () => {
    // Sent at 1000 × 500 (QWEN_MAX_PIXELS), seen at 1008 × 504 (multiples of 28).
    const frame = boxFrame({ width: 2000, height: 1000 }, { maxPixels: 500_000, model: 'qwen-vl-max' });
    expect(frame).toEqual({ width: 2000, height: 1000, seenWidth: 1008, seenHeight: 504 });
    expect(toImageBox([126, 63, 378, 315], frame, 'absolute')).toEqual({ x: 250, y: 125, width: 500, height: 500 });
    expect(toImageBox([100, 50, 300, 250], frame, 'relative1000')).toEqual({ x: 200, y: 50, width: 400, height: 200 });
  });

  it('clamps to the image and refuses boxes with no area inside it', () => {
    const frame = { width: 100, height: 100, seenWidth: 100, seenHeight: 100 };
    expect(toImageBox([-10, 90, 20, 150], frame, 'absolute')).toEqual({ x: 0, y: 90, width: 20, height: 10 });
    expect(toImageBox([120, 0, 150, 50], frame, 'absolute')).toBeNull();
    expect(toImageBox([50, 50, 40, 60], frame, 'absolute')).toBeNull();
    expect(toImageBox([10, 10, 10, 20], frame, 'absolute')).toBeNull();
    expect(toImageBox([10, 10, Number.NaN, 20], frame, 'absolute')).toBeNull();
    expect(toImageBox([10, 10, 20], frame, 'absolute')).toBeNull();
  });
});
