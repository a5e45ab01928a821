import { answerFields } from '../answers/answer.mappers.js';
import type { AnswerRecord } from '../answers/result.service.js';
import type { Detected } from './detection.format.js';
import type { Detection } from './detection.type.js';
import type { ReadText } from './image-text.format.js';
import type { ImageText } from './image-text.type.js';
import type { ModerationVerdict } from './moderation.format.js';
import type { Moderation } from './moderation.type.js';

/** Stored vision results (JSON validated before it was stored) as their GraphQL types. */

export function toModeration(row: AnswerRecord, cached = true): Moderation {
  const verdict = JSON.parse(row.text) as ModerationVerdict;
  return { ...answerFields(row, cached), flagged: verdict.flagged, categories: verdict.categories, rationale: verdict.rationale };
}

export function toImageText(row: AnswerRecord, cached = true): ImageText {
  const read = JSON.parse(row.text) as ReadText;
  return { ...answerFields(row, cached), text: read.text, language: read.language };
}

export function toDetection(row: AnswerRecord, cached = true): Detection {
  const detected = JSON.parse(row.text) as Detected;
  return { ...answerFields(row, cached), objects: detected.objects };
}
