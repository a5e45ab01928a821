import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Analytics } from '../analytics/index.js';
import type { Answers } from '../answers/index.js';
import type { Images } from '../images/index.js';
import { ExportLinks } from './export-links.js';
import { ExportService } from './export.service.js';
import { exportRoutes } from './export-routes.js';
import { ExportUrlResolver } from './export-url.resolver.js';

/** Exports: stored results and usage as CSV or JSON Lines, streamed; exportUrl's signed links to them. */
export const exportsModule: GatewayModule<Services> = {
  name: 'exports',
  resolvers: [ExportUrlResolver],
  routes: (services, logger) => exportRoutes(services, logger),
};

/** Exports of stored results and usage, and their signed links (signed as image URLs are). */
export function provideExports({ answers, analytics, images }: { answers: Pick<Answers, 'services'>; analytics: Pick<Analytics, 'services'>; images: Pick<Images, 'signer'> }) {
  const { usage, prices } = analytics.services;
  return {
    services: { exports: new ExportService(answers.services.results, usage, prices), exportLinks: new ExportLinks(images.signer) } satisfies Partial<Services>,
  };
}
