import { csvField } from '../../src/platform/csv-field';

/** One cell as the gateway's exports write it: lists joined with ';', null empty. */
export type Cell = string | number | boolean | null | readonly string[];

const cellText = (cell: Cell): string | null => (cell === null ? null : Array.isArray(cell) ? cell.join(';') : String(cell));

/**
 * A CSV file of the rows shown, with the columns of the gateway's own export
 * (src/modules/exports/export-columns.ts): RFC 4180, CRLF, formula cells defused.
 */
export function downloadCsv<C extends string>(fileName: string, columns: readonly C[], rows: ReadonlyArray<Readonly<Record<C, Cell>>>): void {
  const lines = [columns.map((c) => csvField(c)), ...rows.map((row) => columns.map((c) => csvField(cellText(row[c]))))].map((cells) => cells.join(','));
  saveFile(fileName, new Blob([`${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' }));
}

/** Offers the browser a download of a file made in the page. */
export function saveFile(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  followDownload(url, fileName);
  // Give the browser the time to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Starts a download of `url` (a signed export link streams to disk, however many rows). */
export function followDownload(url: string, fileName = ''): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
}
