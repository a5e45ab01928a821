import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import { exportRoutes } from './export-routes.js';
import { ExportUrlResolver } from './export-url.resolver.js';

/** Exports: stored results and usage as CSV or JSON Lines, streamed; exportUrl's signed links to them. */
export const exportsModule: GatewayModule<Services> = {
  name: 'exports',
  resolvers: [ExportUrlResolver],
  routes: (services, logger) => exportRoutes(services, logger),
};
