import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { UsageCostResolver } from './cost.resolver.js';
import { UsageResolver } from './usage.resolver.js';

/** Analytics: what model work cost and what the cache saved (Query.usage). */
export const analyticsModule: GatewayModule<Services> = {
  name: 'analytics',
  resolvers: [UsageResolver, UsageCostResolver],
};
