import type { AnswerRecord } from './result.service.js';
import type { CaptionStyle } from './caption-style.enum.js';
import type { Caption } from './caption.type.js';
import type { Question } from './question.type.js';
import type { AnswerFields } from './answer-fields.type.js';
import { toFinishReasonEnum } from './finish-reason.enum.js';

/** The fields every stored result shares (vision results too). */
export function answerFields(row: AnswerRecord, cached: boolean): AnswerFields {
  return {
    id: row.id,
    imageId: row.imageId,
    model: row.model,
    cached,
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

export function toCaption(row: AnswerRecord, cached = true): Caption {
  return { ...answerFields(row, cached), style: (row.style ?? 'BRIEF') as CaptionStyle, text: row.text };
}

export function toQuestion(row: AnswerRecord, cached = true): Question {
  return { ...answerFields(row, cached), prompt: row.prompt, answer: row.text };
}
