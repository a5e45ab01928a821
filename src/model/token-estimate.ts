import { chunk } from '../platform/collections.js';
import { packedSystemPrompt, packPrompts } from './packing.js';
import { promptText, type ModelPrompt } from './reply-format.js';
import { modelFrame, type ImageSending } from './image-frame.js';
import { modelFamily } from './model-family.js';
import { outputCapOf, promptsPerCall } from './output-cap.js';
import { thinkingPlan } from './thinking.js';

/**
 * What one upstream call will bill, estimated before it is made so a token
 * budget can reserve it (and settle to the billed usage after). It leans
 * high: a reservation that is too large only refuses early, one that is too
 * small lets concurrent calls overshoot the budget.
 *
 * - image: one token per patch of the frame the model sees (image-frame.ts:
 *   the QWEN_MAX_PIXELS downscale, then the endpoint's smart resize), 28×28
 *   for Qwen2.5-VL and 32×32 for Qwen3-VL, at least 4, plus two vision
 *   markers: (w/28)·(h/28) + 2;
 * - text: at most one token per three UTF-8 bytes (English runs about four
 *   characters a token, CJK about one character in three bytes), plus the
 *   chat template around the messages;
 * - completion: TOKEN_RESERVE_PER_ANSWER per answer;
 * - reasoning: a thinking model's budget per call (thinking.ts), which it
 *   bills as completion on top of the answer.
 *
 * A call may be answered by a fallback model (QWEN_FALLBACK_MODELS,
 * QWEN_FALLBACKS) of another family: image and reasoning tokens are the
 * costliest of the models it may reach.
 */
export interface TokenEstimateOptions extends ImageSending {
  /** Prompts packed into one upstream call (QWEN_MAX_PROMPTS_PER_CALL, within the model's output cap: output-cap.ts). */
  promptsPerCall: number;
  completionTokensPerAnswer: number;
  /** QWEN_THINKING_BUDGET; null or absent: unset. */
  thinkingBudget?: number | null;
  /** The models tried after `model` when it is unavailable. */
  fallbackModels?: readonly string[];
  /** QWEN_MAX_PROMPTS_PER_CALL and QWEN_MAX_OUTPUT_TOKENS: the pack size of another model (`forModel`); default `promptsPerCall`, no override. */
  maxPromptsPerCall?: number;
  maxOutputTokens?: number | null;
}

const VISION_MARKERS = 2;
/** The fewest tokens an image takes (Model Studio: 4 to 16,384 per image). */
const MIN_IMAGE_PATCHES = 4;
const BYTES_PER_TOKEN = 3;
/** Role markers and separators of the chat template, and a default system prompt some servers add. */
const TEMPLATE_TOKENS = 32;

export function imageTokens(width: number, height: number, sending: ImageSending): number {
  const frame = modelFrame({ width, height }, sending);
  const patch = modelFamily(sending.model ?? '').patchSize;
  return Math.max(MIN_IMAGE_PATCHES, (frame.width / patch) * (frame.height / patch)) + VISION_MARKERS;
}

export function textTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

export class TokenEstimate {
  /** `model` and its fallbacks: whichever answers, the estimate covers it. */
  private readonly models: readonly string[];

  constructor(private readonly options: TokenEstimateOptions) {
    this.models = [options.model ?? '', ...(options.fallbackModels ?? [])];
  }

  /** The same estimate for calls routed to another model (QWEN_OCR_MODEL): its frame, reasoning and pack size. */
  forModel(model: string): TokenEstimate {
    if (model === this.options.model) return this;
    const { maxPromptsPerCall = this.options.promptsPerCall, maxOutputTokens = null, completionTokensPerAnswer } = this.options;
    return new TokenEstimate({ ...this.options, model, promptsPerCall: promptsPerCall(maxPromptsPerCall, completionTokensPerAnswer, outputCapOf(model, maxOutputTokens)) });
  }

  /** Reasoning tokens one call may bill (0 unless a model it may reach thinks). */
  get thinkingTokensPerCall(): number {
    return Math.max(...this.models.map((model) => thinkingPlan(model, this.options.thinkingBudget ?? null).reserve));
  }

  private imageTokens(image: { width: number; height: number }): number {
    return Math.max(...this.models.map((model) => imageTokens(image.width, image.height, { ...this.options, model })));
  }

  /** Prompts about one image as the provider sends them: one upstream call per group. */
  calls<T>(prompts: readonly T[]): T[][] {
    return chunk(prompts, this.options.promptsPerCall);
  }

  /** The most completion tokens one answer may take (its max_tokens). */
  get completionTokensPerAnswer(): number {
    return this.options.completionTokensPerAnswer;
  }

  /** Tokens one call about an image of this size with these prompts may bill. */
  forCall(image: { width: number; height: number }, prompts: readonly ModelPrompt[]): number {
    return this.promptOfCall(image, prompts) + this.options.completionTokensPerAnswer * prompts.length + this.thinkingTokensPerCall;
  }

  /** The prompt tokens of such a call: what the endpoint bills before it writes a word. */
  promptOfCall(image: { width: number; height: number }, prompts: readonly ModelPrompt[]): number {
    // A structured prompt alone sends its schema as response_format: counted as if in the text.
    const text = prompts.length === 1 ? promptText(prompts[0]!) : packedSystemPrompt(prompts) + packPrompts(prompts);
    return this.imageTokens(image) + textTokens(text) + TEMPLATE_TOKENS;
  }

  /** Tokens one call with several images and one prompt (ModelProvider.chat) may bill. */
  forImages(images: ReadonlyArray<{ width: number; height: number }>, prompt: string): number {
    return this.promptOfImages(images, prompt) + this.options.completionTokensPerAnswer + this.thinkingTokensPerCall;
  }

  /** The prompt tokens of such a call. */
  promptOfImages(images: ReadonlyArray<{ width: number; height: number }>, prompt: string): number {
    const imagesTokens = images.reduce((sum, image) => sum + this.imageTokens(image), 0);
    return imagesTokens + textTokens(prompt) + TEMPLATE_TOKENS;
  }
}
