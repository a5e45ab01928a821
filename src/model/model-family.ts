/**
 * What the gateway must know about a model to read it right, by family:
 * how the endpoint resizes images before the model sees them (patch size,
 * pixel limits), how the model writes boxes, and how many tokens it may
 * write in one reply. Sources and dates are in docs/models.md; a model whose
 * name matches no family is read with Qwen2.5-VL's geometry and no known
 * output cap (QWEN_MAX_OUTPUT_TOKENS, or the endpoint's 400, tells it).
 */

export type BoxFormat = 'absolute' | 'relative1000';

/**
 * Whether the model reasons before it answers: never, when asked
 * (`enable_thinking: true`; hybrid), or always (thinking-only: such a model
 * answers only streamed requests, DashScope's 400 otherwise).
 */
export type Thinking = 'none' | 'hybrid' | 'only';

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
  thinking: Thinking;
  /** The longest chain of thought (the most `thinking_budget` may ask for); 0 for models that do not think. */
  maxThinkingTokens: number;
}

const QWEN25_VL: ModelFamily = {
  name: 'Qwen2.5-VL',
  patchSize: 28,
  boxFormat: 'absolute',
  minPixels: 4 * 28 * 28,
  maxPixels: 1280 * 28 * 28,
  highResolutionMaxPixels: 16384 * 28 * 28,
  maxOutputTokens: 8192,
  thinking: 'none',
  maxThinkingTokens: 0,
};

const QWEN3_VL: ModelFamily = {
  name: 'Qwen3-VL',
  patchSize: 32,
  boxFormat: 'relative1000',
  minPixels: 4 * 32 * 32,
  maxPixels: 2560 * 32 * 32,
  highResolutionMaxPixels: 16384 * 32 * 32,
  maxOutputTokens: 32768,
  thinking: 'hybrid',
  maxThinkingTokens: 81920,
};

/** The open-source Qwen3-VL reasoning editions (`qwen3-vl-235b-a22b-thinking`, ...): they always think. */
const QWEN3_VL_THINKING: ModelFamily = { ...QWEN3_VL, name: 'Qwen3-VL thinking', thinking: 'only' };

/** QVQ (`qvq-max`, `qvq-plus`): visual reasoning on Qwen2.5-VL's geometry; always thinks, streamed only. */
const QVQ: ModelFamily = { ...QWEN25_VL, name: 'QVQ', thinking: 'only', maxThinkingTokens: 16384 };

/** Qwen-OCR (`qwen-vl-ocr`, since its 2025-11-20 version on Qwen3-VL): up to 8,192 image tokens by default. */
const QWEN_OCR: ModelFamily = { ...QWEN3_VL, name: 'Qwen-OCR', minPixels: 3 * 32 * 32, maxPixels: 8192 * 32 * 32, maxOutputTokens: 8192, thinking: 'none', maxThinkingTokens: 0 };

/** Any other model: read like Qwen2.5-VL (what an OpenAI-compatible Qwen server most often runs), cap unknown. */
const OTHER: ModelFamily = { ...QWEN25_VL, name: 'other', maxOutputTokens: null };

/** Matched against the model name in order, case-insensitively (DashScope names and Hugging Face ids alike). */
const FAMILIES: ReadonlyArray<readonly [RegExp, ModelFamily]> = [
  [/qwen-vl-ocr/i, QWEN_OCR],
  [/qvq/i, QVQ],
  [/qwen3-vl-.*thinking/i, QWEN3_VL_THINKING],
  [/qwen3/i, QWEN3_VL],
  [/qwen-vl-(max|plus)|qwen2\.5-vl/i, QWEN25_VL],
];

export function modelFamily(model: string): ModelFamily {
  return FAMILIES.find(([pattern]) => pattern.test(model))?.[1] ?? OTHER;
}
