import type { BilledTokens, Money, PriceTable } from './model-prices.js';
import { formatCost } from './money.js';
import { SUMS, type UsageDimension, type UsageRow } from './usage.repository.js';

/** A usage bucket with what its calls cost and what its cache hits saved. */
export interface PricedUsageRow extends UsageRow {
  /** null when nothing in it was billed, a model billed in it has no price, or its models are priced in different currencies. */
  cost: Money | null;
  /** What its cache hits would have cost; null on the same terms, or when some of them were counted before the saving was kept per token kind. */
  costSaved: Money | null;
}

/** Exact money summed over a group's models: null once any part has no price or the currencies differ. */
class MoneySum {
  private units = 0n;
  private readonly currencies = new Set<string>();
  private unpriced = false;

  add(prices: PriceTable, model: string | null, tokens: BilledTokens): void {
    if (tokens.promptTokens + tokens.completionTokens === 0) return;
    const cost = prices.units(model, tokens);
    if (!cost) {
      this.unpriced = true;
      return;
    }
    this.units += cost.units;
    this.currencies.add(cost.currency);
  }

  /** A part that cannot be priced at all. */
  unknown(): void {
    this.unpriced = true;
  }

  total(): Money | null {
    return this.unpriced || this.currencies.size !== 1 ? null : { amount: formatCost(this.units), currency: [...this.currencies][0]! };
  }
}

interface Group {
  row: UsageRow;
  cost: MoneySum;
  saved: MoneySum;
}

/** What a row's cache hits saved, as the answers served were billed. */
const savedTokensOf = (row: UsageRow): BilledTokens => ({
  promptTokens: row.savedPromptTokens,
  completionTokens: row.savedCompletionTokens,
  cachedTokens: row.savedCachedTokens,
});

/**
 * Buckets as asked from rows also grouped by model (prices are per model):
 * each group's rows summed, their costs and savings added exactly. Rows come
 * ordered by the asked dimensions first, so groups keep that order.
 */
export function priceBuckets(rows: readonly UsageRow[], groupBy: readonly UsageDimension[], prices: PriceTable): PricedUsageRow[] {
  const byModel = groupBy.includes('MODEL');
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const key = JSON.stringify([row.day, row.hour, byModel ? row.model : null, row.kind, row.apiKeyId, row.tenant, row.match]);
    let group = groups.get(key);
    if (!group) {
      group = { row: { ...row, model: byModel ? row.model : null }, cost: new MoneySum(), saved: new MoneySum() };
      groups.set(key, group);
    } else {
      for (const field of SUMS) group.row[field] += row[field];
    }
    group.cost.add(prices, row.model, row);
    const saved = savedTokensOf(row);
    // Tallies from before the split kept only a total, which has no price.
    if (row.tokensSaved > saved.promptTokens + saved.completionTokens) group.saved.unknown();
    else group.saved.add(prices, row.model, saved);
  }
  return [...groups.values()].map(({ row, cost, saved }) => ({ ...row, cost: cost.total(), costSaved: saved.total() }));
}
