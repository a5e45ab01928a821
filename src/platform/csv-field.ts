/** Starts of a cell a spreadsheet runs as a formula (OWASP's CSV-injection list: = + - @ tab, carriage return). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * True when the cell's first character is one of those, or a compatibility form of one that a spreadsheet
 * may fold into it (full-width ＝ ＋ － ＠, small ﹦ ﹢ ﹣ ﹫: NFKC maps each to its ASCII form).
 */
function startsFormula(value: string): boolean {
  const first = String.fromCodePoint(value.codePointAt(0) ?? 0x20);
  return FORMULA_START.test(value) || FORMULA_START.test(first.normalize('NFKC'));
}

/**
 * One CSV field, RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
 * Model output is attacker-influenced (text in an image can steer it), so a cell a spreadsheet would
 * run as a formula (startsFormula) gets a leading apostrophe (OWASP's CSV-injection advice).
 * Pure, with no Node imports: `npm run ingest` writes with it and the web console bundles it.
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const safe = startsFormula(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
