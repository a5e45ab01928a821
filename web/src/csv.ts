import { csvField } from '../../src/platform/csv-field';

/** A CSV file of the rows shown (RFC 4180, CRLF; formula cells defused), offered as a download. */
export function downloadCsv(fileName: string, header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>): void {
  const lines = [header, ...rows].map((row) => row.map((cell) => csvField(cell === null ? null : String(cell))).join(','));
  const url = URL.createObjectURL(new Blob([`${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // Give the browser the time to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
