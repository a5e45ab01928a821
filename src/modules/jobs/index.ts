import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { JobItemResolver, JobResolver } from './job.resolver.js';

/** Jobs: batch analysis run in the background, followed over subscriptions. */
export const jobsModule: GatewayModule<Services> = {
  name: 'jobs',
  resolvers: [JobResolver, JobItemResolver],
};
