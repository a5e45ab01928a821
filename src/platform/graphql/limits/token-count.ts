import { Lexer, Source, TokenKind } from 'graphql';

/**
 * The number of GraphQL tokens in `query`, counting no further than `max + 1`:
 * the one pass over a document that is cheap whatever its size, run before
 * parsing and validation, whose cost grows with the tokens (500k unknown
 * fields took seconds of a single event loop). Lexing errors stop the count:
 * the parser reports them.
 */
export function countTokens(query: string, max: number): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  try {
    while (count <= max && lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // a syntax error: left to the parser
  }
  return count;
}
