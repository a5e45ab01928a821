import type { AnswerRecord } from './result.service.js';
import type { CaptionStyle } from './caption-style.enum.js';
import type { Caption } from './caption.type.js';
import type { Question } from './question.type.js';
import type { AnswerFields } from './answer-fields.type.js';
import { toFinishReasonEnum } from './finish-reason.enum.js';
import type { AnswerResult } from './answer.service.js';

/** How a result reached this response: made by the model (cached false), or served from the cache and how it matched. */
export type Served = Pick<AnswerResult, 'cached' | 'match'>;
/** A stored list's rows: cached, with no match of this response's. */
const STORED: Served = { cached: true };

/** The fields every stored result shares (vision results too). */
export function answerFields(row: AnswerRecord, served: Served = STORED): AnswerFields {
  return {
    id: row.id,
    imageId: row.imageId,
    model: row.model,
    cached: served.cached,
    cacheMatch: served.match ?? null,
    finishReason: toFinishReasonEnum(row.finishReason),
    latencyMs: row.latencyMs,
    createdAt: row.createdAt,
    usage: {
      promptTokens: row.promptTokens,
      completionTokens: row.completionTokens,
      totalTokens: row.totalTokens,
      cachedTokens: row.cachedTokens,
      model: row.model,
    },
  };
}

export function toCaption(row: AnswerRecord, served?: Served): Caption {
  return { ...answerFields(row, served), style: (row.style ?? 'BRIEF') as CaptionStyle, text: row.text };
}

export function toQuestion(row: AnswerRecord, served?: Served): Question {
  return { ...answerFields(row, served), prompt: row.prompt, answer: row.text };
}
