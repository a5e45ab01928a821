import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { priceBuckets } from '../../src/modules/analytics/bucket-cost.js';
import { PriceTable } from '../../src/modules/analytics/model-prices.js';
import { formatCost, parsePrice } from '../../src/modules/analytics/money.js';
import { loadConfig } from '../../src/platform/config.js';

describe('money', () => {
  it('reads prices as exact scaled integers and refuses what is not a plain decimal', () => {
    expect(parsePrice(0.8)).toBe(800_000n);
    expect(parsePrice('3.2')).toBe(3_200_000n);
    expect(parsePrice(0.000001)).toBe(1n);
    expect(parsePrice(1e-7)).toBeUndefined();
    expect(parsePrice('0.1234567')).toBeUndefined();
    expect(parsePrice(-1)).toBeUndefined();
  });

  it('formats costs exactly, with at least two places', () => {
    expect(formatCost(0n)).toBe('0.00');
    expect(formatCost(800_000n * 1000n)).toBe('0.0008');
    expect(formatCost(12_500_000_000_000n)).toBe('12.50');
  });
});

describe('price table', () => {
  const billed = { promptTokens: 700, completionTokens: 30, cachedTokens: 5 };

  it('prices qwen-vl-max from the built-in table: uncached input, cached input and output', () => {
    // 695 × 0.8 + 5 × 0.16 + 30 × 3.2 = 556 + 0.8 + 96 = 652.8 per million
    expect(new PriceTable().cost('qwen-vl-max', billed)).toEqual({ amount: '0.0006528', currency: 'USD' });
    expect(new PriceTable().cost('qwen-vl-max-2025-08-13', billed)).toEqual({ amount: '0.0006528', currency: 'USD' });
  });

  it('sums without float drift where floats would', () => {
    const table = new PriceTable({ m: { currency: 'USD', inputPerMillion: 0.1, outputPerMillion: 0.2 } });
    // 0.1 + 0.2 per million tokens, a million each: exactly 0.30 (floats give 0.30000000000000004)
    expect(table.cost('m', { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 0 })).toEqual({ amount: '0.30', currency: 'USD' });
  });

  it('gives null, not zero, for a model without a price; overrides replace built-in prices', () => {
    expect(new PriceTable().cost('qwen-vl-test', billed)).toBeNull();
    expect(new PriceTable().cost(null, billed)).toBeNull();
    const table = new PriceTable({ 'qwen-vl-max': { currency: 'EUR', inputPerMillion: 1, outputPerMillion: 2 } });
    expect(table.cost('qwen-vl-max', billed)).toEqual({ amount: '0.00076', currency: 'EUR' });
  });
});

describe('MODEL_PRICES', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prices-'));
  const file = (name: string, body: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, body);
    return at;
  };

  it('reads a JSON file of prices at start-up', () => {
    const at = file('ok.json', JSON.stringify({ 'qwen-vl-test': { currency: 'USD', inputPerMillion: 1.5, outputPerMillion: 2, cachedInputPerMillion: '0.3' } }));
    expect(loadConfig({ MODEL_PRICES: at }).modelPrices).toEqual({ 'qwen-vl-test': { currency: 'USD', inputPerMillion: 1.5, outputPerMillion: 2, cachedInputPerMillion: '0.3' } });
    expect(loadConfig({}).modelPrices).toEqual({});
  });

  it('refuses a missing file, bad JSON, a bad price or an unknown field with one line naming MODEL_PRICES', () => {
    const oneLine = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(oneLine({ MODEL_PRICES: path.join(dir, 'missing.json') })).toMatch(/^invalid configuration: MODEL_PRICES could not read .*missing\.json as JSON/);
    expect(oneLine({ MODEL_PRICES: file('bad.json', '{') })).toMatch(/^invalid configuration: MODEL_PRICES could not read/);
    const tooPrecise = file('precise.json', JSON.stringify({ m: { currency: 'USD', inputPerMillion: 0.1234567, outputPerMillion: 1 } }));
    expect(oneLine({ MODEL_PRICES: tooPrecise })).toMatch(/^invalid configuration: MODEL_PRICES .*m\.inputPerMillion: a price must be a decimal ≥ 0 with at most 6 places/);
    const extra = file('extra.json', JSON.stringify({ m: { currency: 'USD', inputPerMillion: 1, outputPerMillion: 1, per: 'k' } }));
    expect(oneLine({ MODEL_PRICES: extra })).toMatch(/^invalid configuration: MODEL_PRICES /);
    for (const message of [oneLine({ MODEL_PRICES: tooPrecise }), oneLine({ MODEL_PRICES: extra })]) expect(message.split('\n')).toHaveLength(1);
  });
});

describe('usage buckets priced per model', () => {
  const row = (model: string, promptTokens: number, completionTokens: number) => ({
    day: null, hour: null, model, kind: 'QUESTION', apiKeyId: null, tenant: null, match: null,
    calls: 1, results: 1, promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0, cacheHits: 0, tokensSaved: 0,
    savedPromptTokens: 0, savedCompletionTokens: 0, savedCachedTokens: 0, estimatedTokens: 0,
  });
  /** A tally of cache hits: what they saved, split by token kind unless `legacy` (a total only, as kept before the split). */
  const hits = (model: string, promptTokens: number, completionTokens: number, legacy = false) => ({
    ...row(model, 0, 0), calls: 0, cacheHits: 1, tokensSaved: promptTokens + completionTokens,
    savedPromptTokens: legacy ? 0 : promptTokens, savedCompletionTokens: legacy ? 0 : completionTokens,
  });

  it('sums each model at its price into the groups asked; null when a billed model is unpriced or currencies differ', () => {
    const prices = new PriceTable({ eur: { currency: 'EUR', inputPerMillion: 1, outputPerMillion: 1 } });
    const [byKind] = priceBuckets([row('qwen-vl-max', 1000, 0), row('qwen-vl-plus', 1000, 0)], ['KIND'], prices);
    expect(byKind).toMatchObject({ model: null, kind: 'QUESTION', calls: 2, promptTokens: 2000, cost: { amount: '0.00101', currency: 'USD' } });
    expect(priceBuckets([row('qwen-vl-max', 1000, 0), row('qwen-vl-test', 10, 0)], [], prices)[0]!.cost).toBeNull();
    expect(priceBuckets([row('qwen-vl-max', 1000, 0), row('eur', 10, 0)], [], prices)[0]!.cost).toBeNull();
    expect(priceBuckets([row('qwen-vl-max', 1000, 0), row('eur', 10, 0)], ['MODEL'], prices).map((b) => b.cost?.currency)).toEqual(['USD', 'EUR']);
  });

  it('prices what the cache saved like the calls, and not at all where only a total was kept', () => {
    const prices = new PriceTable({ eur: { currency: 'EUR', inputPerMillion: 1, outputPerMillion: 2 } });
    const [bucket] = priceBuckets([row('eur', 1000, 0), hits('eur', 1000, 500)], [], prices);
    expect(bucket).toMatchObject({ cost: { amount: '0.001', currency: 'EUR' }, costSaved: { amount: '0.002', currency: 'EUR' }, tokensSaved: 1500 });
    // Only hits: no call cost, a saving all the same.
    expect(priceBuckets([hits('eur', 1000, 500)], [], prices)[0]).toMatchObject({ cost: null, costSaved: { amount: '0.002', currency: 'EUR' } });
    expect(priceBuckets([hits('eur', 1000, 500), hits('eur', 10, 0, true)], [], prices)[0]!.costSaved).toBeNull();
    expect(priceBuckets([row('eur', 1000, 0)], [], prices)[0]!.costSaved).toBeNull();
  });
});
