import type { Money, PriceTable } from './model-prices.js';
import { formatCost } from './money.js';
import { SUMS, type UsageDimension, type UsageRow } from './usage.repository.js';

/** A usage bucket with what its calls cost. */
export interface PricedUsageRow extends UsageRow {
  /** null when nothing in it was billed, a model billed in it has no price, or its models are priced in different currencies. */
  cost: Money | null;
}

interface Group {
  row: UsageRow;
  units: bigint;
  currencies: Set<string>;
  unpriced: boolean;
}

/**
 * Buckets as asked from rows also grouped by model (prices are per model):
 * each group's rows summed, their costs added exactly. Rows come ordered by
 * the asked dimensions first, so groups keep that order.
 */
export function priceBuckets(rows: readonly UsageRow[], groupBy: readonly UsageDimension[], prices: PriceTable): PricedUsageRow[] {
  const byModel = groupBy.includes('MODEL');
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const key = JSON.stringify([row.day, row.hour, byModel ? row.model : null, row.kind, row.apiKeyId, row.tenant]);
    let group = groups.get(key);
    if (!group) {
      group = { row: { ...row, model: byModel ? row.model : null }, units: 0n, currencies: new Set(), unpriced: false };
      groups.set(key, group);
    } else {
      for (const field of SUMS) group.row[field] += row[field];
    }
    if (row.promptTokens + row.completionTokens === 0) continue;
    const cost = prices.units(row.model, row);
    if (cost) {
      group.units += cost.units;
      group.currencies.add(cost.currency);
    } else {
      group.unpriced = true;
    }
  }
  return [...groups.values()].map(({ row, units, currencies, unpriced }) => ({
    ...row,
    cost: unpriced || currencies.size !== 1 ? null : { amount: formatCost(units), currency: [...currencies][0]! },
  }));
}
