import { answerFields, type Served } from '../answers/answer.mappers.js';
import type { AnswerRecord } from '../answers/result.service.js';
import type { Detected } from './detection.format.js';
import type { Detection } from './detection.type.js';
import type { ReadText } from './image-text.format.js';
import type { ImageText } from './image-text.type.js';
import type { ModerationVerdict } from './moderation.format.js';
import type { Moderation } from './moderation.type.js';

/** Stored vision results (JSON validated before it was stored) as their GraphQL types. */

export function toModeration(row: AnswerRecord, served?: Served): Moderation {
  const verdict = JSON.parse(row.text) as ModerationVerdict;
  return { ...answerFields(row, served), flagged: verdict.flagged, categories: verdict.categories, rationale: verdict.rationale };
}

export function toImageText(row: AnswerRecord, served?: Served): ImageText {
  const read = JSON.parse(row.text) as ReadText;
  return { ...answerFields(row, served), text: read.text, language: read.language };
}

export function toDetection(row: AnswerRecord, served?: Served): Detection {
  const detected = JSON.parse(row.text) as Detected;
  return { ...answerFields(row, served), objects: detected.objects };
}
