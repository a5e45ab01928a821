import type { ImageRecord } from '../images/image.service.js';
import type { AnswerRequest } from './answer.service.js';
import { captionPrompt, normalizeQuestion, type CaptionStyle } from './prompts.js';
import type { CacheMatchMode } from './cache-match.type.js';

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
