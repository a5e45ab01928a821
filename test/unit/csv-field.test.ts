import { describe, expect, it } from 'vitest';
import { csvField } from '../../src/cli/ingest/results-writer.js';

describe('CSV fields of the ingest output', () => {
  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('a = b')).toBe('a = b');
  });

  it('defuses every formula start on the OWASP list, tab and carriage return included, and their full-width and small forms', () => {
    expect(csvField('\tcmd')).toBe("'\tcmd");
    expect(csvField('\r=1+1')).toBe('"\'\r=1+1"');
    for (const start of ['＝', '＋', '－', '＠', '﹦', '﹢', '﹣', '﹫']) {
      expect(csvField(`${start}HYPERLINK("http://evil")`)).toBe(`"'${start}HYPERLINK(""http://evil"")"`);
    }
    expect(csvField('１+1')).toBe('１+1'); // a full-width digit starts no formula
    expect(csvField('')).toBe('');
  });
});
