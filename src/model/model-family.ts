/**
 * What the gateway must know about a model to read it right, by family:
 * how the endpoint resizes images before the model sees them (patch size,
 * pixel limits), how the model writes boxes, and how many tokens it may
 * write in one reply. Sources and dates are in docs/models.md; a model whose
 * name matches no family is read with Qwen2.5-VL's geometry and no known
 * output cap (QWEN_MAX_OUTPUT_TOKENS, or the endpoint's 400, tells it).
 */

export type BoxFormat = 'absolute' | 'relative1000';

export interface ModelFamily {
  name: string;
  /** Pixels per side of one image token (ViT patch × spatial merge): sides are rounded to multiples of it. */
  patchSize: number;
  /** Boxes in absolute pixels of the frame the model saw, or scaled to 0..1000. */
  boxFormat: BoxFormat;
  /** The endpoint scales smaller images up to at least this many pixels. */
  minPixels: number;
  /** ...and larger ones down to at most this many (DashScope's default). */
  maxPixels: number;
  /** The most with `vl_high_resolution_images: true` (QWEN_HIGH_RESOLUTION_IMAGES). */
  highResolutionMaxPixels: number;
  /** The largest max_tokens the endpoint accepts for this model; null when not known. */
  maxOutputTokens: number | null;
}

const QWEN25_VL: ModelFamily = {
  name: 'Qwen2.5-VL',
  patchSize: 28,
  boxFormat: 'absolute',
  minPixels: 4 * 28 * 28,
  maxPixels: 1280 * 28 * 28,
  highResolutionMaxPixels: 16384 * 28 * 28,
  maxOutputTokens: 8192,
};

const QWEN3_VL: ModelFamily = {
  name: 'Qwen3-VL',
  patchSize: 32,
  boxFormat: 'relative1000',
  minPixels: 4 * 32 * 32,
  maxPixels: 2560 * 32 * 32,
  highResolutionMaxPixels: 16384 * 32 * 32,
  maxOutputTokens: 32768,
};

/** Any other model: read like Qwen2.5-VL (what an OpenAI-compatible Qwen server most often runs), cap unknown. */
const OTHER: ModelFamily = { ...QWEN25_VL, name: 'other', maxOutputTokens: null };

/** Matched against the model name in order, case-insensitively (DashScope names and Hugging Face ids alike). */
const FAMILIES: ReadonlyArray<readonly [RegExp, ModelFamily]> = [
  [/qwen3/i, QWEN3_VL],
  [/qwen-vl-(max|plus)|qwen2\.5-vl/i, QWEN25_VL],
];

export function modelFamily(model: string): ModelFamily {
  return FAMILIES.find(([pattern]) => pattern.test(model))?.[1] ?? OTHER;
}
