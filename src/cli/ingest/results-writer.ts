import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { csvField } from '../../platform/csv-field.js';
import type { OutputFormat } from './options.js';

/** One output row: one file × one item, or one file that could not be uploaded. */
export interface ResultRow {
  file: string;
  imageId: string | null;
  kind: 'CAPTION' | 'QUESTION' | 'MODERATION' | 'TEXT' | null;
  style: string | null;
  question: string | null;
  /** The caption text, the answer, a moderation's rationale or the text read from the image. */
  text: string | null;
  status: string;
  errorCode: string | null;
  error: string | null;
  model: string | null;
  /** Moderation rows: the verdict. */
  flagged: boolean | null;
  /** Moderation rows: the categories found (in CSV, joined with ";"). */
  categories: string[] | null;
}

export const COLUMNS: ReadonlyArray<keyof ResultRow> = ['file', 'imageId', 'kind', 'style', 'question', 'text', 'status', 'errorCode', 'error', 'model', 'flagged', 'categories'];

export function toJsonLine(row: ResultRow): string {
  return `${JSON.stringify(Object.fromEntries(COLUMNS.map((c) => [c, row[c]])))}\n`;
}

// Fields: RFC 4180 with formula cells defused (csv-field.ts); CRLF between records.
export { csvField };

export const csvHeader = () => `${COLUMNS.join(',')}\r\n`;
/** A cell's text: lists joined with ";", booleans as true/false. */
const cellText = (value: ResultRow[keyof ResultRow]) => (Array.isArray(value) ? value.join(';') : typeof value === 'boolean' ? String(value) : value);
export const toCsvLine = (row: ResultRow) => `${COLUMNS.map((c) => csvField(cellText(row[c]))).join(',')}\r\n`;

export function formatRows(rows: readonly ResultRow[], format: OutputFormat): string {
  return format === 'csv' ? csvHeader() + rows.map(toCsvLine).join('') : rows.map(toJsonLine).join('');
}

/** Writes the rows to a file (format by extension) or, as JSON Lines, to stdout; resolves once flushed. */
export async function writeRows(rows: readonly ResultRow[], out: { file: string; format: OutputFormat } | null): Promise<void> {
  if (!out) {
    const text = formatRows(rows, 'jsonl');
    if (text) await new Promise<void>((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
    return;
  }
  const stream = createWriteStream(out.file, { encoding: 'utf8' });
  const failed = once(stream, 'error').then(([error]) => Promise.reject(error as Error));
  stream.end(formatRows(rows, out.format));
  await Promise.race([once(stream, 'finish'), failed]);
}
