import type { ReplyFormat } from '../../model/provider.js';
import type { ImageRecord } from '../images/image.service.js';
import type { AnswerKind, AnswerRecord } from './answer.repository.js';
import { captionPrompt, normalizeQuestion, type CaptionStyle } from './prompts.js';
import type { CacheMatch, CacheMatchMode } from './cache-match.type.js';

/** One piece of model work: a prompt about an image. */
export interface AnswerRequest {
  image: ImageRecord;
  kind: AnswerKind;
  style: string | null;
  /** Already normalized: the cache key's prompt, and what is sent upstream (unless structured). */
  prompt: string;
  refresh: boolean;
  /** Served only from an exact cache match (the `match: EXACT_ONLY` argument): no near-duplicate image, no similar question. */
  exactOnly?: boolean;
  /** Set when the answer is JSON of a given shape (a vision result) rather than text. */
  structured?: StructuredRequest;
  /** The kind its usage is recorded under, when not `kind`: CHAT for the OpenAI-compatible door. */
  usageKind?: string;
}

export interface AnswerResult {
  record: AnswerRecord;
  /** True when no upstream call was made for this response. */
  cached: boolean;
  /** How the cache served it; absent when the model made it. */
  match?: CacheMatch;
}

/** The kind a request's calls and results are recorded under in the usage ledger. */
export const usageKindOf = (request: Pick<AnswerRequest, 'kind' | 'usageKind'>): string => request.usageKind ?? request.kind;

/** Columns of the stored row that lists filter by, read from a structured answer's JSON. */
export type FilterColumns = Partial<Pick<AnswerRecord, 'flagged' | 'categories'>>;

export interface StructuredRequest {
  format: ReplyFormat;
  /** What is sent upstream (the cache key's prompt may add a version to it). */
  instruction: string;
  columns?: (json: string) => FilterColumns;
  /**
   * The answer (JSON) stored when the provider's own content filter refuses
   * the prompt, for kinds where that refusal is itself the result (a
   * moderation verdict); without it the refusal is MODEL_REJECTED.
   */
  whenContentFiltered?: string;
  /** Served from a near-duplicate image only when it has the same size (boxes are in the image's pixels). */
  sameSizeImagesOnly?: boolean;
}

/** Turns what a client asked for into model work; validation happens here, before anything is sent. */
export function captionRequest(image: ImageRecord, style: CaptionStyle, refresh: boolean): AnswerRequest {
  return { image, kind: 'CAPTION', style, prompt: captionPrompt(style), refresh };
}

export function questionRequest(image: ImageRecord, question: string, refresh: boolean, maxLength: number): AnswerRequest {
  return { image, kind: 'QUESTION', style: null, prompt: normalizeQuestion(question, maxLength), refresh };
}

/** The request as the `match` argument narrows it: EXACT_ONLY is served by the exact key alone. */
export function withMatch(request: AnswerRequest, match: CacheMatchMode | null): AnswerRequest {
  return match === 'EXACT_ONLY' ? { ...request, exactOnly: true } : request;
}
