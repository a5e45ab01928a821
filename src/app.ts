import type { App, Services } from './app-types.js';
import { createContext } from './context.js';
import { buildGatewaySchema, modules } from './modules/index.js';
import { provideAccess } from './modules/access/index.js';
import { provideAnalytics } from './modules/analytics/index.js';
import { provideAnswers } from './modules/answers/index.js';
import { provideConversations } from './modules/conversations/index.js';
import { provideEngine } from './modules/engine/index.js';
import { provideExports } from './modules/exports/index.js';
import { multipartUploads, provideImages } from './modules/images/index.js';
import { provideJobs } from './modules/jobs/index.js';
import { provideLifecycle } from './modules/lifecycle/index.js';
import { provideNearDuplicates } from './modules/near-duplicates/index.js';
import { provideVision } from './modules/vision/index.js';
import { provideWebhooks } from './modules/webhooks/index.js';
import type { Config } from './platform/config.js';
import { DOCUMENT_BYTES } from './platform/graphql/operation-size.js';
import type { Logger } from './platform/logger.js';
import { openPlatform, type Worker } from './platform-parts.js';

/** The composition root: the server and the tests boot the same thing. Each module provides its services from the platform and the modules built before it. */
export async function createApp(config: Config, logger: Logger): Promise<App> {
  const platform = await openPlatform(config, logger);
  const access = await provideAccess(platform);
  const analytics = provideAnalytics(platform);
  const images = await provideImages(platform);
  const nearDuplicates = provideNearDuplicates(platform, { images });
  const engine = provideEngine(platform, { analytics });
  const answers = provideAnswers(platform, { analytics, engine, nearDuplicates });
  const vision = provideVision(platform, { answers, engine, images, analytics });
  const webhooks = provideWebhooks(platform);
  const jobs = provideJobs(platform, { access, images, answers, vision, webhooks });
  const conversations = provideConversations(platform, { images, engine, analytics });
  const lifecycle = provideLifecycle(platform, { access, images, answers, jobs });
  const exports = provideExports({ answers, analytics, images });

  const services: Services = {
    config,
    ...access.services,
    ...analytics.services,
    ...images.services,
    ...nearDuplicates.services,
    ...answers.services,
    ...vision.services,
    ...webhooks.services,
    ...jobs.services,
    ...conversations.services,
    ...lifecycle.services,
    ...exports.services,
  };
  // Started in this order (the caches hear the other replicas before any job runs), stopped together.
  const workers = [lifecycle, jobs, webhooks, images, nearDuplicates].flatMap<Worker>((module) => module.workers);
  const stopWorkers = async () => {
    await Promise.all(workers.map((worker) => worker.stop?.()));
    // After the queue: calls that finished in the grace period are recorded too.
    await analytics.ledger.stop();
  };
  return {
    config,
    logger,
    services,
    schema: await buildGatewaySchema(),
    metrics: platform.metrics,
    redis: platform.redis,
    statements: platform.statements,
    callers: access.callers,
    contextFor: (caller, baseUrl, clientGone) => createContext(services, caller, baseUrl, clientGone),
    http: {
      routes: modules.flatMap((module) => (module.routes ? [module.routes(services, logger)] : [])),
      admit: access.admit,
      readUploads: multipartUploads({ uploadBytes: config.limits.uploadBytes, uploadFiles: config.limits.uploadFiles, fieldBytes: DOCUMENT_BYTES }),
    },
    ready: platform.ready,
    jobCounts: () => services.jobs.countByStatus(),
    startWorkers: async () => {
      analytics.ledger.start();
      for (const worker of workers) await worker.start?.();
    },
    stopWorkers,
    close: async () => {
      await stopWorkers();
      await platform.close();
    },
  };
}
