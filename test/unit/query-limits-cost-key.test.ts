import { buildSchema, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { costKeyOf, QueryLimits } from '../../src/platform/graphql/limits/query-limits.js';

// A fresh question reuses the measure of the last one; what can change a measure never shares it.

const operationOf = (source: string) => getOperationAST(parse(source))!;
const ASK = operationOf('mutation($imageId: ID!, $question: String!, $refresh: Boolean) { askQuestion(imageId: $imageId, question: $question, refresh: $refresh) { id } }');
const PAGE = operationOf('query($n: Int, $tag: String, $ids: [ID!], $files: [Upload!]) { items(first: $n, tag: $tag) { id } }');

describe('costKeyOf', () => {
  it('blanks the strings of String and ID variables: a new question or image has the same key', () => {
    expect(costKeyOf(ASK, { imageId: 'a', question: 'What is it?' })).toBe(costKeyOf(ASK, { imageId: 'b', question: 'Who is it?' }));
    expect(costKeyOf(PAGE, { n: 5, tag: 'x', ids: ['1', '2'] })).toBe(costKeyOf(PAGE, { n: 5, tag: 'y', ids: ['3', '4'] }));
  });

  it('keeps what a measure can depend on: numbers, other types, list lengths and values that may not coerce', () => {
    expect(costKeyOf(ASK, { imageId: 'a', question: 'q', refresh: true })).not.toBe(costKeyOf(ASK, { imageId: 'a', question: 'q', refresh: false }));
    expect(costKeyOf(PAGE, { n: 5 })).not.toBe(costKeyOf(PAGE, { n: 50 }));
    expect(costKeyOf(PAGE, { ids: ['1'] })).not.toBe(costKeyOf(PAGE, { ids: ['1', '2'] }));
    expect(costKeyOf(PAGE, { files: [{ a: 1 }] })).not.toBe(costKeyOf(PAGE, { files: [{ a: 1 }, { a: 2 }] }));
    expect(costKeyOf(PAGE, { tag: { not: 'a string' } })).not.toBe(costKeyOf(PAGE, { tag: 'a string' }));
    expect(costKeyOf(PAGE, { extra: 'kept' })).not.toBe(costKeyOf(PAGE, { extra: 'as given' }));
  });
});

describe('QueryLimits measures', () => {
  const schema = buildSchema('type Query { items(first: Int, tag: String): [Item!]! } type Item { id: ID! name: String }');
  const limits = new QueryLimits({ maxDepth: 10, maxAliases: 30, maxCost: 100, maxPrompts: 50, maxVariablesBytes: 1 << 16, maxTokens: 1000, maxDirectives: 10, maxVariables: 10, introspection: false, jobMaxItems: 10 });
  const document = parse('query($n: Int, $tag: String) { items(first: $n, tag: $tag) { id name } }');
  const check = (variables: Record<string, unknown>) => limits.checkOperation({ schema, document, variables })?.extensions;

  it('reuse a measure across strings, never across the numbers that size it', () => {
    expect(check({ n: 10, tag: 'a' })).toBeUndefined();
    expect(check({ n: 90, tag: 'a' })).toMatchObject({ limit: 'QUERY_MAX_COST' });
    expect(check({ n: 10, tag: 'b' })).toBeUndefined();
    expect(check({ n: 90, tag: 'c' })).toMatchObject({ limit: 'QUERY_MAX_COST' });
  });
});
