import type { UpstreamCall } from '../../model/provider.js';
import type { Logger } from '../../platform/logger.js';
import type { Metrics } from '../../platform/metrics.js';
import type { BilledTokens } from './model-prices.js';
import type { NewModelCall, NewResultTally, UsageRepository } from './usage.repository.js';

/** Whom model work is for: the tenant it belongs to and the key that asked (null: the open gateway). */
export interface Payer {
  tenant: string;
  apiKeyId: string | null;
}

/** An upstream request as the ledger records it: as the provider reported it, or with the gateway's estimate (cut-short-charge.ts). */
export interface LedgerCall extends UpstreamCall {
  /** The usage is the gateway's estimate: the call was cut short before the endpoint reported what it billed. */
  estimated?: boolean;
}

/** The kind of a call packing prompts of several kinds. */
export const MIXED_KIND = 'MIXED';

/** A call's kind from its prompts' kinds: theirs when they agree, MIXED when a packed call asks several. */
export function kindOfCall(kinds: ReadonlyArray<string | undefined>): string {
  const distinct = new Set(kinds.filter((kind) => kind !== undefined));
  return distinct.size === 1 ? [...distinct][0]! : MIXED_KIND;
}

type SavedTokens = Pick<NewResultTally, 'tokensSaved' | 'savedPromptTokens' | 'savedCompletionTokens' | 'savedCachedTokens'>;
const NOTHING_SAVED: SavedTokens = { tokensSaved: 0, savedPromptTokens: 0, savedCompletionTokens: 0, savedCachedTokens: 0 };

function addSaved(tally: SavedTokens, more: SavedTokens): void {
  tally.tokensSaved += more.tokensSaved;
  tally.savedPromptTokens += more.savedPromptTokens;
  tally.savedCompletionTokens += more.savedCompletionTokens;
  tally.savedCachedTokens += more.savedCachedTokens;
}

/** One tally per tenant, key, model, kind and cache match in a flush interval. */
const tallyKey = (t: Pick<NewResultTally, 'tenant' | 'apiKeyId' | 'model' | 'kind' | 'match'>) => JSON.stringify([t.tenant, t.apiKeyId, t.model, t.kind, t.match]);

/** How often buffered records are written (and at stop). */
export const USAGE_FLUSH_MS = 5_000;
/** Calls kept while the database refuses them; older ones are dropped (and said so) past it. */
const MAX_BUFFERED_CALLS = 100_000;

/**
 * Records what model work cost and what the cache saved: each upstream call
 * and each result served, into Prometheus at once and into the usage tables
 * in batches (every USAGE_FLUSH_MS, before a usage query of this process, and
 * at stop). Batching keeps a cache hit free of any statement; the price is
 * that a crash loses the last few seconds' records, and another replica's
 * appear in `usage` within USAGE_FLUSH_MS.
 */
export class UsageLedger {
  private calls: NewModelCall[] = [];
  private tallies = new Map<string, NewResultTally>();
  private intervalStart = new Date();
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<UsageRepository, 'insert'>,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** One upstream request made for `payer`, as the provider reported it (or as estimated, when cut short). */
  call(payer: Payer, kind: string, call: LedgerCall): void {
    const { model, usage, outcome } = call;
    const labels = (base: Record<string, string>) => this.metrics.usageLabelsFor(base, payer.tenant);
    this.metrics.modelCalls.inc(labels({ model, kind, outcome }));
    this.metrics.upstreamLatency.observe({ model, kind, outcome }, call.latencyMs / 1000);
    for (const [type, tokens] of [['prompt', usage.promptTokens], ['completion', usage.completionTokens], ['cached', usage.cachedTokens]] as const) {
      if (tokens > 0) this.metrics.modelTokens.inc(labels({ model, kind, type }), tokens);
    }
    if (this.calls.length >= MAX_BUFFERED_CALLS) {
      this.calls.shift();
      this.logger.warn('usage ledger: the database has refused its writes for a while; the oldest unwritten call record was dropped');
    }
    this.calls.push({ ...payer, model, kind, outcome, ...usage, latencyMs: call.latencyMs, createdAt: new Date(), estimated: call.estimated ?? false });
  }

  /**
   * One result served to `payer`: made by an upstream call (`saved` null), or
   * from the cache (a stored answer, or a call made for someone else), which
   * saved what that answer's stored usage says it was billed. `match`: how a
   * cache hit matched (answers/cache-match.type.ts), EXACT unless said.
   */
  served(payer: Payer, model: string, kind: string, saved: BilledTokens | null, match = 'EXACT'): void {
    const labels = (base: Record<string, string>) => this.metrics.usageLabelsFor(base, payer.tenant);
    this.metrics.results.inc(labels({ model, kind, source: saved ? 'cache' : 'model' }));
    const tokensSaved = saved ? saved.promptTokens + saved.completionTokens : 0;
    if (tokensSaved > 0) this.metrics.tokensSaved.inc(labels({ model, kind }), tokensSaved);
    const matched = saved ? match : null;
    const key = tallyKey({ ...payer, model, kind, match: matched });
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { ...payer, model, kind, match: matched, results: 0, cacheHits: 0, ...NOTHING_SAVED, createdAt: this.intervalStart };
      this.tallies.set(key, tally);
    }
    tally.results += 1;
    if (saved) {
      tally.cacheHits += 1;
      addSaved(tally, { tokensSaved, savedPromptTokens: saved.promptTokens, savedCompletionTokens: saved.completionTokens, savedCachedTokens: saved.cachedTokens });
    }
  }

  /** Writes what is buffered; resolves once everything recorded before the call is stored (or kept for the next try). */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), USAGE_FLUSH_MS).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async write(): Promise<void> {
    const calls = this.calls;
    const tallies = [...this.tallies.values()];
    if (calls.length === 0 && tallies.length === 0) return;
    this.calls = [];
    this.tallies = new Map();
    this.intervalStart = new Date();
    try {
      await this.store.insert(calls, tallies);
    } catch (error) {
      // Kept for the next flush: the records are the bill.
      this.calls = [...calls, ...this.calls];
      for (const tally of tallies) this.merge(tally);
      this.logger.warn({ err: error, calls: calls.length, tallies: tallies.length }, 'usage ledger: records could not be written; retrying at the next flush');
    }
  }

  private merge(tally: NewResultTally): void {
    const key = tallyKey(tally);
    const current = this.tallies.get(key);
    if (!current) {
      this.tallies.set(key, tally);
      return;
    }
    current.results += tally.results;
    current.cacheHits += tally.cacheHits;
    addSaved(current, tally);
    current.createdAt = tally.createdAt;
  }
}
