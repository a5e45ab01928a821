import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Platform } from '../../platform-parts.js';
import { PriceTable } from './model-prices.js';
import { UsageLedger } from './usage-ledger.js';
import { UsageRepository } from './usage.repository.js';
import { UsageService } from './usage.service.js';
import { UsageCostResolver } from './cost.resolver.js';
import { UsageResolver } from './usage.resolver.js';

/** Analytics: what model work cost and what the cache saved (Query.usage). */
export const analyticsModule: GatewayModule<Services> = {
  name: 'analytics',
  resolvers: [UsageResolver, UsageCostResolver],
};

/** The usage ledger (its batches are written in the background: start it first, stop it last) and Query.usage with its prices. */
export function provideAnalytics({ db, config, metrics, logger, analyticsQueries }: Platform) {
  const repository = new UsageRepository(db, analyticsQueries);
  // Every upstream call and result served, for Query.usage and the usage metrics.
  const ledger = new UsageLedger(repository, metrics, logger);
  const prices = new PriceTable(config.modelPrices);
  return {
    ledger,
    services: { usage: new UsageService(repository, ledger, config.analyticsQueryTimeoutMs, prices), prices } satisfies Partial<Services>,
  };
}

export type Analytics = ReturnType<typeof provideAnalytics>;
