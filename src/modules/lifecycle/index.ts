import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { LifecycleResolver } from './lifecycle.resolver.js';

/** Data lifecycle: deleteImage, deleteResults (the retention sweep and the tenants CLI use the same service). */
export const lifecycleModule: GatewayModule<Services> = {
  name: 'lifecycle',
  resolvers: [LifecycleResolver],
};
