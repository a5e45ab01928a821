/**
 * One CSV field, RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
 * Model output is attacker-influenced (text in an image can steer it), so a cell a spreadsheet would
 * run as a formula (= + - @ first) gets a leading apostrophe (OWASP's CSV-injection advice).
 * Pure, with no Node imports: `npm run ingest` writes with it and the web console bundles it.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
