/**
 * Exact money arithmetic: prices per million tokens are decimals with at most
 * PRICE_DECIMALS places, held as integers scaled by 10^PRICE_DECIMALS, so a
 * cost (tokens × price ÷ 10^6) is an integer in units of 10^-(PRICE_DECIMALS+6)
 * and sums never accumulate float error.
 */

const PRICE_DECIMALS = 6;
/** Decimal places of a cost: a price's plus the million tokens it is per. */
const COST_DECIMALS = PRICE_DECIMALS + 6;

/** "0.8" or 0.8 as 800000n (scaled by 10^PRICE_DECIMALS); undefined when it is not a plain decimal with at most PRICE_DECIMALS places. */
export function parsePrice(value: number | string): bigint | undefined {
  const text = String(value);
  const match = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) return undefined;
  return BigInt(match[1]!) * 10n ** BigInt(PRICE_DECIMALS) + BigInt((match[2] ?? '').padEnd(PRICE_DECIMALS, '0'));
}

/** The cost of `tokens` at `scaledPrice` per million, in units of 10^-COST_DECIMALS. */
export const costOf = (tokens: number, scaledPrice: bigint): bigint => BigInt(tokens) * scaledPrice;

/** A cost as a decimal string: exact, trailing zeros dropped, at least two places ("0.00", "0.0008", "12.50"). */
export function formatCost(units: bigint): string {
  const digits = units.toString().padStart(COST_DECIMALS + 1, '0');
  const whole = digits.slice(0, -COST_DECIMALS);
  const fraction = digits.slice(-COST_DECIMALS).replace(/0+$/, '').padEnd(2, '0');
  return `${whole}.${fraction}`;
}
