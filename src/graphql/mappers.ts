import type { AnswerRecord } from '../storage/answer-repository.js';
import { encodeCursor, type Page } from '../storage/pagination.js';
import type { CaptionStyle } from './types/caption-style.enum.js';
import type { Caption } from './types/caption.type.js';
import type { Connection } from './types/connection.type.js';
import type { Question } from './types/question.type.js';
import type { AnswerFields } from './types/answer-fields.js';

function answerFields(row: AnswerRecord, cached: boolean): AnswerFields {
  return {
    id: row.id,
    imageId: row.imageId,
    model: row.model,
    cached,
    latencyMs: row.latencyMs,
    createdAt: row.createdAt,
    usage: {
      promptTokens: row.promptTokens,
      completionTokens: row.completionTokens,
      totalTokens: row.totalTokens,
      cachedTokens: row.cachedTokens,
    },
  };
}

export function toCaption(row: AnswerRecord, cached = true): Caption {
  return { ...answerFields(row, cached), style: (row.style ?? 'BRIEF') as CaptionStyle, text: row.text };
}

export function toQuestion(row: AnswerRecord, cached = true): Question {
  return { ...answerFields(row, cached), prompt: row.prompt, answer: row.text };
}

export function toConnection<R extends { createdAt: Date; id: string }, T>(page: Page<R>, map: (row: R) => T): Connection<T> {
  const edges = page.items.map((row) => ({ cursor: encodeCursor(row), node: map(row) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
