/**
 * Vision results: moderation verdicts, text read from images, and objects
 * located with boxes. Each is a structured answer (an Answer row of kind
 * MODERATION, TEXT or DETECTION whose text is validated JSON) computed
 * through AnswerService, so the cache, single flight, packing with other
 * prompts about the same image, token budgets and jobs apply unchanged.
 *
 * For other modules (jobs, upload moderation, the ingest CLI through the
 * API): build a request with `moderationRequest` / `textRequest` /
 * `objectsRequest` and hand it to `AnswerService.answerAll` (as a job item
 * does), or call `moderation` / `text` / `objects`, which answer one request
 * against a budget; turn a stored record into its GraphQL type with
 * vision.mappers.ts (`toModeration`, `toImageText`, `toDetection`).
 */
import type { TokenBudget } from '../access/caller.js';
import type { AnswerResult, AnswerService } from '../answers/answer.service.js';
import type { AnswerRequest, StructuredRequest } from '../answers/answer-requests.js';
import type { AnswerKind } from '../answers/answer-kind.js';
import { storedCategories } from '../answers/answer.repository.js';
import type { ImageRecord } from '../images/image.service.js';
import { boxFrame, type BoxFormatSetting } from './boxes.js';
import { detectionFormat } from './detection.format.js';
import { imageTextFormat } from './image-text.format.js';
import { moderationFormat, PROVIDER_REFUSED_VERDICT, type ModerationVerdict } from './moderation.format.js';
import { detectionInstruction, moderationInstruction, normalizeLabels, TEXT_INSTRUCTION } from './vision-prompts.js';

export interface VisionOptions {
  /** MODERATION_POLICY, trimmed; '' when unset. */
  moderationPolicy: string;
  /** QWEN_BOX_FORMAT. */
  boxFormat: BoxFormatSetting;
  /** QWEN_MAX_PIXELS and QWEN_HIGH_RESOLUTION_IMAGES: with the model, the frame absolute boxes are in. */
  maxPixels: number;
  highResolution: boolean;
}

/** A moderation verdict's filter columns, from its stored JSON. */
function moderationColumns(json: string) {
  const verdict = JSON.parse(json) as ModerationVerdict;
  return { flagged: verdict.flagged, categories: storedCategories(verdict.categories) };
}

export class VisionService {
  private readonly moderationPrompt: string;

  constructor(
    private readonly answers: AnswerService,
    private readonly options: VisionOptions,
  ) {
    this.moderationPrompt = moderationInstruction(options.moderationPolicy);
  }

  moderationRequest(image: ImageRecord, refresh: boolean): AnswerRequest {
    const whenContentFiltered = JSON.stringify(PROVIDER_REFUSED_VERDICT);
    return structuredRequest(image, 'MODERATION', { format: moderationFormat, instruction: this.moderationPrompt, columns: moderationColumns, whenContentFiltered }, refresh);
  }

  textRequest(image: ImageRecord, refresh: boolean): AnswerRequest {
    return structuredRequest(image, 'TEXT', { format: imageTextFormat, instruction: TEXT_INSTRUCTION }, refresh);
  }

  /** Throws BAD_USER_INPUT for unusable labels; none (or []) asks for the salient objects. */
  objectsRequest(image: ImageRecord, labels: readonly string[] | null | undefined, refresh: boolean): AnswerRequest {
    const asked = normalizeLabels(labels);
    const { maxPixels, highResolution, boxFormat } = this.options;
    const format = detectionFormat(asked, (model) => boxFrame(image, { maxPixels, highResolution, model }), boxFormat);
    return structuredRequest(image, 'DETECTION', { format, instruction: detectionInstruction(asked) }, refresh);
  }

  moderation(image: ImageRecord, refresh: boolean, budget: TokenBudget, signal?: AbortSignal): Promise<AnswerResult> {
    return this.one(this.moderationRequest(image, refresh), budget, signal);
  }

  text(image: ImageRecord, refresh: boolean, budget: TokenBudget, signal?: AbortSignal): Promise<AnswerResult> {
    return this.one(this.textRequest(image, refresh), budget, signal);
  }

  objects(image: ImageRecord, labels: readonly string[] | null, refresh: boolean, budget: TokenBudget, signal?: AbortSignal): Promise<AnswerResult> {
    return this.one(this.objectsRequest(image, labels, refresh), budget, signal);
  }

  private async one(request: AnswerRequest, budget: TokenBudget, signal: AbortSignal | undefined): Promise<AnswerResult> {
    const [result] = await this.answers.answerAll([request], budget, signal);
    if (result instanceof Error) throw result;
    return result!;
  }
}

/**
 * The cache key's prompt is the reply format's versioned name before the
 * instruction ("moderation_v1: Review this image..."): a new schema version
 * is a new key. The model is sent the instruction alone.
 */
function structuredRequest(image: ImageRecord, kind: AnswerKind, structured: StructuredRequest, refresh: boolean): AnswerRequest {
  return { image, kind, style: null, prompt: `${structured.format.name}: ${structured.instruction}`, refresh, structured };
}
