import { csvField } from '../../platform/csv-field.js';
import type { ExportFormat } from './export-query.js';

/** One exported value: as in GraphQL, lists only for enum lists (a moderation's categories). */
export type Cell = string | number | boolean | Date | null | readonly string[];
export type ExportRow = Readonly<Record<string, Cell>>;

/** A table to export: its columns in order, and its rows a batch at a time. */
export interface ExportTable {
  columns: readonly string[];
  batches: AsyncIterable<readonly ExportRow[]> | Iterable<readonly ExportRow[]>;
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** CSV text of a cell: dates in ISO 8601 (UTC), lists joined with ';', null empty; then formula-safe and quoted (csvField). */
function cellText(cell: Cell): string | null {
  if (cell === null) return null;
  if (cell instanceof Date) return cell.toISOString();
  if (Array.isArray(cell)) return cell.join(';');
  return String(cell);
}

const csvLine = (cells: ReadonlyArray<string | null>) => `${cells.map(csvField).join(',')}\r\n`;

/**
 * The table as text, one piece per batch: CSV (RFC 4180, a header row, CRLF)
 * or JSON Lines (one object per row, keys in column order).
 */
export async function* writeTable(table: ExportTable, format: ExportFormat): AsyncGenerator<string> {
  const { columns } = table;
  let header = format === 'csv' ? csvLine(columns) : '';
  for await (const batch of table.batches) {
    const lines = format === 'csv'
      ? batch.map((row) => csvLine(columns.map((column) => cellText(row[column] ?? null))))
      : batch.map((row) => `${JSON.stringify(Object.fromEntries(columns.map((column) => [column, row[column] ?? null])))}\n`);
    yield header + lines.join('');
    header = '';
  }
  if (header) yield header; // no rows: the header alone
}
