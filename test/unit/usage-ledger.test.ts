import { describe, expect, it } from 'vitest';
import { kindOfCall, UsageLedger } from '../../src/modules/analytics/usage-ledger.js';
import type { NewModelCall, NewResultTally } from '../../src/modules/analytics/usage.repository.js';
import type { UpstreamCall } from '../../src/model/provider.js';
import { createLogger } from '../../src/platform/logger.js';
import { Metrics } from '../../src/platform/metrics.js';

/** A store that keeps what it is given, and refuses while `down`. */
class MemoryUsage {
  down = false;
  readonly calls: NewModelCall[] = [];
  readonly tallies: NewResultTally[] = [];
  async insert(calls: readonly NewModelCall[], tallies: readonly NewResultTally[]): Promise<void> {
    if (this.down) throw new Error('database unreachable');
    this.calls.push(...calls);
    this.tallies.push(...tallies);
  }
}

const call = (totalTokens: number, outcome = 'ok'): UpstreamCall => ({
  model: 'm',
  prompts: [],
  usage: { promptTokens: totalTokens - 10, completionTokens: 10, totalTokens, cachedTokens: 0 },
  latencyMs: 120,
  outcome,
});
/** What a stored answer was billed: `total` tokens, 10 of them written. */
const billed = (total: number) => ({ promptTokens: total - 10, completionTokens: 10, cachedTokens: 0 });
const alice = { tenant: 'alice', apiKeyId: 'k1' };
const bob = { tenant: 'bob', apiKeyId: null };

describe('UsageLedger', () => {
  it('writes each call and one tally per tenant, key, model and kind at a flush', async () => {
    const store = new MemoryUsage();
    const ledger = new UsageLedger(store, new Metrics(), createLogger('silent'));
    ledger.call(alice, 'QUESTION', call(700));
    ledger.call(alice, 'QUESTION', call(0, 'MODEL_UNAVAILABLE'));
    ledger.served(alice, 'm', 'QUESTION', null);
    ledger.served(alice, 'm', 'QUESTION', billed(700));
    ledger.served(alice, 'm', 'QUESTION', { promptTokens: 290, completionTokens: 10, cachedTokens: 200 });
    ledger.served(bob, 'm', 'CAPTION', null);
    expect(store.calls).toEqual([]);

    await ledger.flush();
    expect(store.calls.map((c) => [c.tenant, c.apiKeyId, c.kind, c.outcome, c.totalTokens])).toEqual([
      ['alice', 'k1', 'QUESTION', 'ok', 700],
      ['alice', 'k1', 'QUESTION', 'MODEL_UNAVAILABLE', 0],
    ]);
    // Results the model made (match null) and cache hits (by how they matched) are tallied apart.
    expect(store.tallies.map((t) => [t.tenant, t.apiKeyId, t.kind, t.match, t.results, t.cacheHits, t.tokensSaved])).toEqual([
      ['alice', 'k1', 'QUESTION', null, 1, 0, 0],
      ['alice', 'k1', 'QUESTION', 'EXACT', 2, 2, 1000],
      ['bob', null, 'CAPTION', null, 1, 0, 0],
    ]);
    // Kept per token kind too, so what the cache saved can be priced.
    expect(store.tallies[1]).toMatchObject({ savedPromptTokens: 980, savedCompletionTokens: 20, savedCachedTokens: 200 });
    await ledger.flush();
    expect(store.calls).toHaveLength(2);
  });

  it('keeps what the database refused and writes it, merged with what came since, at the next flush', async () => {
    const store = new MemoryUsage();
    const ledger = new UsageLedger(store, new Metrics(), createLogger('silent'));
    store.down = true;
    ledger.call(alice, 'CAPTION', call(500));
    ledger.served(alice, 'm', 'CAPTION', billed(500));
    await ledger.flush();
    expect(store.calls).toEqual([]);

    store.down = false;
    ledger.call(alice, 'CAPTION', call(400));
    ledger.served(alice, 'm', 'CAPTION', null);
    await ledger.flush();
    expect(store.calls.map((c) => c.totalTokens)).toEqual([500, 400]);
    expect(store.tallies.map((t) => [t.match, t.results, t.cacheHits, t.tokensSaved, t.savedPromptTokens, t.savedCompletionTokens])).toEqual([
      ['EXACT', 1, 1, 500, 490, 10],
      [null, 1, 0, 0, 0, 0],
    ]);
  });

  it('names a packed call by its prompts’ kind, MIXED when they differ', () => {
    expect(kindOfCall(['CAPTION', 'CAPTION'])).toBe('CAPTION');
    expect(kindOfCall(['CAPTION', 'QUESTION'])).toBe('MIXED');
  });
});

describe('usage metrics tenant labels', () => {
  const seriesOf = async (metrics: Metrics) => (await metrics.modelCalls.get()).values.map((v) => v.labels);

  it('carry no tenant unless METRICS_TENANT_LABELS is on', async () => {
    const metrics = new Metrics();
    new UsageLedger(new MemoryUsage(), metrics, createLogger('silent')).call(alice, 'QUESTION', call(1));
    expect(await seriesOf(metrics)).toEqual([{ model: 'm', kind: 'QUESTION', outcome: 'ok' }]);
  });

  it('name the first tenants and put the rest under "other", so series stay bounded', async () => {
    const metrics = new Metrics({ tenantLabels: true, maxTenantLabels: 2 });
    const ledger = new UsageLedger(new MemoryUsage(), metrics, createLogger('silent'));
    for (const tenant of ['t1', 't2', 't3', 't4', 't1']) ledger.call({ tenant, apiKeyId: null }, 'QUESTION', call(1));
    const tenants = (await metrics.modelCalls.get()).values.map((v) => [v.labels.tenant, v.value]);
    expect(tenants).toEqual([
      ['t1', 2],
      ['t2', 1],
      ['other', 2],
    ]);
  });
});
