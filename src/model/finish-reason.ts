/**
 * Why a reply ended, as OpenAI-compatible endpoints (DashScope included) say
 * in `choices[0].finish_reason`: `stop` (complete), `length` (cut by
 * max_tokens), `content_filter`, `tool_calls`. Stored as the endpoint's own
 * word; anything else, or none, is null (unknown).
 */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

const KNOWN: ReadonlySet<string> = new Set<FinishReason>(['stop', 'length', 'content_filter', 'tool_calls']);

export function toFinishReason(value: unknown): FinishReason | null {
  return typeof value === 'string' && KNOWN.has(value) ? (value as FinishReason) : null;
}

/** A reply the token limit cut short: kept, but never served as a complete cache hit. */
export function wasCut(row: { finishReason: string | null }): boolean {
  return row.finishReason === 'length';
}
