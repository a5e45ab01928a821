import { GatewayError, badInput } from '../../platform/errors.js';
import { StatementTimeout } from '../../platform/database/sql-dialect.js';
import type { Caller } from '../access/caller.js';
import type { UsageLedger } from './usage-ledger.js';
import { priceBuckets, type PricedUsageRow } from './bucket-cost.js';
import type { PriceTable } from './model-prices.js';
import type { UsageRepository } from './usage.repository.js';
import { UsageDimension } from './usage.repository.js';

export { UsageDimension };
export type { PricedUsageRow as UsageRow } from './bucket-cost.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The range when `from` is not given. */
export const DEFAULT_USAGE_DAYS = 30;

export interface UsageArgs {
  from?: Date | null;
  to?: Date | null;
  groupBy: readonly UsageDimension[];
  filter?: { model?: string | null; kind?: string | null; apiKeyId?: string | null; tenant?: string | null } | null;
}

const EMPTY_BUCKET: PricedUsageRow = {
  day: null, hour: null, model: null, kind: null, apiKeyId: null, tenant: null, match: null,
  calls: 0, results: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0, cacheHits: 0, tokensSaved: 0,
  savedPromptTokens: 0, savedCompletionTokens: 0, savedCachedTokens: 0, estimatedTokens: 0,
  cost: null, costSaved: null,
};

const forbidden = (message: string) => new GatewayError('FORBIDDEN', message);

/**
 * Usage and savings (Query.usage): the caller's tenant, or with an admin key
 * every tenant. This process's unwritten records are written first, so what
 * it did shows at once.
 */
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly ledger: UsageLedger,
    private readonly queryTimeoutMs: number,
    private readonly prices: PriceTable,
  ) {}

  async buckets(caller: Caller, { from, to, groupBy, filter }: UsageArgs): Promise<PricedUsageRow[]> {
    const end = to ?? new Date();
    const start = from ?? new Date(end.getTime() - DEFAULT_USAGE_DAYS * DAY_MS);
    if (start >= end) throw badInput('`from` must be before `to` (the range is from ≤ t < to).');
    if (!caller.admin && (groupBy.includes('TENANT') || filter?.tenant)) {
      throw forbidden('Only admin keys see other tenants: leave out groupBy TENANT and filter.tenant, or use a key made with `keys create --admin`.');
    }
    const tenant = caller.admin ? (filter?.tenant ?? null) : caller.tenant;
    await this.ledger.flush();
    try {
      // Also by model, the unit prices are per: summed back to the groups asked by priceBuckets.
      const rows = await this.usage.sum({ from: start, to: end, groupBy: [...groupBy, 'MODEL'], tenant, model: filter?.model, kind: filter?.kind, apiKeyId: filter?.apiKeyId });
      const buckets = priceBuckets(rows, groupBy, this.prices);
      // Nothing grouped: one bucket, of zeros when nothing matched.
      return groupBy.length === 0 && buckets.length === 0 ? [EMPTY_BUCKET] : buckets;
    } catch (error) {
      if (!(error instanceof StatementTimeout)) throw error;
      throw new GatewayError('QUERY_TOO_COMPLEX', `Summing usage took longer than ${this.queryTimeoutMs} ms (ANALYTICS_QUERY_TIMEOUT_MS). Ask for a shorter range or fewer groups.`, {
        cause: error,
        extensions: { limit: 'ANALYTICS_QUERY_TIMEOUT_MS', maximum: this.queryTimeoutMs },
      });
    }
  }
}
