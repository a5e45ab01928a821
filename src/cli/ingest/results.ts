import type { JobItem, Verdict } from './job.js';
import type { TextOutcome } from './read-text.js';
import type { ResultRow } from './results-writer.js';
import type { UploadOutcome } from './upload.js';

/** What the run learnt about the images: the job's items and moderation verdicts, and the text read from each. */
export interface ImageResults {
  items: readonly JobItem[];
  verdicts: readonly Verdict[];
  /** By image id; empty without --read-text. */
  texts: ReadonlyMap<string, TextOutcome>;
}

export const NO_RESULTS: ImageResults = { items: [], verdicts: [], texts: new Map() };

const BLANK = { kind: null, style: null, question: null, text: null, errorCode: null, error: null, model: null, flagged: null, categories: null } as const;

export function failedRow(file: string, errorCode: string, error: string, imageId: string | null = null): ResultRow {
  return { ...BLANK, file, imageId, status: 'FAILED', errorCode, error };
}

/** A job item's row; a moderation's carries its verdict (the rationale as text). */
export function itemRow(file: string, item: JobItem, verdict?: Verdict): ResultRow {
  const row = { ...BLANK, file, imageId: item.image.id, kind: item.kind, style: item.style, status: item.status, errorCode: item.errorCode, error: item.error };
  if (item.kind === 'MODERATION') {
    return verdict ? { ...row, text: verdict.rationale, model: verdict.model, flagged: verdict.flagged, categories: verdict.categories } : row;
  }
  const answer = item.kind === 'CAPTION' ? item.caption : item.question;
  return {
    ...row,
    question: item.kind === 'QUESTION' ? item.prompt : null,
    text: item.caption?.text ?? item.question?.answer ?? null,
    model: answer?.model ?? null,
  };
}

export function textRow(file: string, imageId: string, outcome: TextOutcome): ResultRow {
  if ('errorCode' in outcome) return { ...failedRow(file, outcome.errorCode, outcome.error, imageId), kind: 'TEXT' };
  return { ...BLANK, file, imageId, kind: 'TEXT', text: outcome.text, status: 'SUCCEEDED', model: outcome.model };
}

/**
 * One row per (file, result of its image): its job items in the job's order,
 * then the text read from it; in file order. Files with the same bytes share
 * an image and so get the same rows. Files that were not uploaded get one
 * FAILED row. `missing` describes an uploaded file whose image has no
 * results (no job, or the job was not read).
 */
export function buildRows(outcomes: readonly UploadOutcome[], results: ImageResults, missing: { errorCode: string; error: string }): ResultRow[] {
  const byImage = new Map<string, JobItem[]>();
  for (const item of results.items) {
    const list = byImage.get(item.image.id) ?? [];
    list.push(item);
    byImage.set(item.image.id, list);
  }
  const verdicts = new Map(results.verdicts.map((verdict) => [verdict.image.id, verdict]));
  return outcomes.flatMap((outcome): ResultRow[] => {
    if ('errorCode' in outcome) return [failedRow(outcome.file.path, outcome.errorCode, outcome.error)];
    const { imageId } = outcome;
    const file = outcome.file.path;
    const text = results.texts.get(imageId);
    const rows = [...(byImage.get(imageId) ?? []).map((item) => itemRow(file, item, verdicts.get(imageId))), ...(text ? [textRow(file, imageId, text)] : [])];
    return rows.length > 0 ? rows : [failedRow(file, missing.errorCode, missing.error, imageId)];
  });
}

export const rowSucceeded = (row: ResultRow) => row.status === 'SUCCEEDED';
