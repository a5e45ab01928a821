import { describe, expect, it } from 'vitest';
import { packPrompts, plainAnswer, unpackReplies } from '../../src/model/packing.js';
import { chunk } from '../../src/platform/collections.js';

/** The answers of a packed reply to plain prompts: n non-empty strings, or null. */
function unpackAnswers(content: string | null, count: number): string[] | null {
  const elements = unpackReplies(content, count);
  const answers = elements?.map(plainAnswer) ?? null;
  return answers?.every((a) => a !== null) ? (answers as string[]) : null;
}
import { splitUsage } from '../../src/model/usage.js';

describe('packing contract', () => {
  it('packs prompts as exactly {"questions": [...]}', () => {
    expect(packPrompts(['a', 'b "c"'])).toBe('{"questions":["a","b \\"c\\""]}');
  });

  it('reads a plain JSON reply and one inside a Markdown fence', () => {
    expect(unpackAnswers('{"answers":["x","y"]}', 2)).toEqual(['x', 'y']);
    expect(unpackAnswers('```json\n{"answers": ["x", "y"]}\n```', 2)).toEqual(['x', 'y']);
    expect(unpackAnswers('  ```\n{"answers":["x","y"]}\n```  ', 2)).toEqual(['x', 'y']);
  });

  it.each([
    ['not json', 'The answers are x and y'],
    ['wrong count', '{"answers":["x"]}'],
    ['non-strings', '{"answers":["x", 2]}'],
    ['empty answer', '{"answers":["x", " "]}'],
    ['wrong key', '{"replies":["x","y"]}'],
    ['array at top', '["x","y"]'],
    ['null', null],
  ])('rejects a reply with %s', (_why, content) => {
    expect(unpackAnswers(content as string | null, 2)).toBeNull();
  });

  it('chunks in order with a size cap', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});

describe('usage split', () => {
  it('sums exactly to what the endpoint billed', () => {
    const usage = { promptTokens: 1003, completionTokens: 61, totalTokens: 1064, cachedTokens: 7 };
    const parts = splitUsage(usage, 3);
    expect(parts).toHaveLength(3);
    for (const field of ['promptTokens', 'completionTokens', 'totalTokens', 'cachedTokens'] as const) {
      expect(parts.reduce((sum, p) => sum + p[field], 0)).toBe(usage[field]);
      expect(Math.max(...parts.map((p) => p[field])) - Math.min(...parts.map((p) => p[field]))).toBeLessThanOrEqual(1);
    }
  });
});
