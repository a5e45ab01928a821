/** What the endpoint billed for a reply. */
export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens the endpoint served from its own context cache, when it reports them. */
  cachedTokens: number;
}

export const ZERO_USAGE: ModelUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0 };

export function addUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
  };
}

/** Splits an integer into n near-equal integer parts that sum exactly to it. */
function splitInteger(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const remainder = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < remainder ? 1 : 0));
}

/**
 * Splits one call's usage across its n answers so that the stored usage sums
 * to exactly what the endpoint billed (the packing contract).
 */
export function splitUsage(usage: ModelUsage, parts: number): ModelUsage[] {
  const prompt = splitInteger(usage.promptTokens, parts);
  const completion = splitInteger(usage.completionTokens, parts);
  const total = splitInteger(usage.totalTokens, parts);
  const cached = splitInteger(usage.cachedTokens, parts);
  return prompt.map((_, i) => ({
    promptTokens: prompt[i]!,
    completionTokens: completion[i]!,
    totalTokens: total[i]!,
    cachedTokens: cached[i]!,
  }));
}
