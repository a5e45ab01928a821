import type { JobItem } from './job.js';
import type { ResultRow } from './results-writer.js';
import type { UploadOutcome } from './upload.js';

export function failedRow(file: string, errorCode: string, error: string, imageId: string | null = null): ResultRow {
  return { file, imageId, kind: null, style: null, question: null, text: null, status: 'FAILED', errorCode, error, model: null };
}

export function itemRow(file: string, item: JobItem): ResultRow {
  const answer = item.kind === 'CAPTION' ? item.caption : item.question;
  return {
    file,
    imageId: item.image.id,
    kind: item.kind,
    style: item.style,
    question: item.kind === 'QUESTION' ? item.prompt : null,
    text: item.caption?.text ?? item.question?.answer ?? null,
    status: item.status,
    errorCode: item.errorCode,
    error: item.error,
    model: answer?.model ?? null,
  };
}

/**
 * One row per (file, item of its image), in file order then the job's item
 * order; files with the same bytes share an image and so get the same items.
 * Files that were not uploaded get one FAILED row. `missing` describes an
 * uploaded file whose image has no items (no job, or the job was not read).
 */
export function buildRows(
  outcomes: readonly UploadOutcome[],
  items: readonly JobItem[],
  missing: { errorCode: string; error: string },
): ResultRow[] {
  const byImage = new Map<string, JobItem[]>();
  for (const item of items) {
    const list = byImage.get(item.image.id) ?? [];
    list.push(item);
    byImage.set(item.image.id, list);
  }
  return outcomes.flatMap((outcome): ResultRow[] => {
    if ('errorCode' in outcome) return [failedRow(outcome.file.path, outcome.errorCode, outcome.error)];
    const own = byImage.get(outcome.imageId);
    if (!own?.length) return [failedRow(outcome.file.path, missing.errorCode, missing.error, outcome.imageId)];
    return own.map((item) => itemRow(outcome.file.path, item));
  });
}

export const rowSucceeded = (row: ResultRow) => row.status === 'SUCCEEDED';
