import type { GraphQLSchema } from 'graphql';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { buildGatewaySchema } from './graphql/schema.js';
import { createModelProvider } from './model/create-provider.js';
import { TokenEstimate } from './model/token-estimate.js';
import { AnswerCache } from './services/answer-cache.js';
import { AnswerService } from './services/answer-service.js';
import { ApiKeyService } from './services/auth/api-key-service.js';
import { UsageLimits } from './services/auth/usage-limits.js';
import { ImageDelivery } from './services/image-delivery.js';
import { ImageService } from './services/image-service.js';
import { BlobsInFlight } from './services/blobs-in-flight.js';
import { OrphanSweep } from './services/orphan-sweep.js';
import { StorageHealth } from './services/storage-health.js';
import { ImageUrls } from './services/image-urls.js';
import { urlSigningSecret } from './services/signing-secret.js';
import { Thumbnails } from './services/thumbnails.js';
import { UrlSigner } from './services/url-signing.js';
import { openRemoteImage } from './services/url-import/index.js';
import { InProcessJobEvents } from './services/jobs/job-events.js';
import { InProcessJobQueue, type JobQueue } from './services/jobs/job-queue.js';
import { JobRunner } from './services/jobs/job-runner.js';
import { JobService } from './services/jobs/job-service.js';
import { ResultService } from './services/result-service.js';
import { AnswerRepository } from './storage/answer-repository.js';
import { ApiKeyRepository } from './storage/api-key-repository.js';
import { FileBlobStore } from './storage/blob-store.js';
import { openDatabase } from './storage/database.js';
import { parseDatabaseUrl } from './storage/database-url.js';
import { ImageRepository } from './storage/image-repository.js';
import { JobRepository } from './storage/job-repository.js';
import { migrateDatabase, pendingMigrations } from './storage/migrate.js';
import { SettingRepository } from './storage/setting-repository.js';

export interface Services {
  config: Config;
  images: ImageService;
  answers: AnswerService;
  results: ResultService;
  jobs: JobService;
  keys: ApiKeyService;
  limits: UsageLimits;
  /** Mints signed image URLs (GraphQL side). */
  imageUrls: ImageUrls;
  /** Serves what a signed image URL grants (HTTP side). */
  imageDelivery: ImageDelivery;
}

export interface App {
  config: Config;
  logger: Logger;
  services: Services;
  schema: GraphQLSchema;
  metrics: Metrics;
  /** Storage writable (no full-disk episode), database reachable and every committed migration applied. */
  ready(): Promise<{ ok: boolean; reason?: string }>;
  /** Jobs per status (for the metrics gauge). */
  jobCounts(): Promise<Record<string, number>>;
  /** Starts the job worker (resuming unfinished jobs) and the orphan sweep. */
  startWorkers(): Promise<void>;
  /** Takes no new job work; in-flight upstream calls get SHUTDOWN_GRACE_MS to finish. */
  stopWorkers(): Promise<void>;
  /** Stops the workers (if not yet) and closes the database. */
  close(): Promise<void>;
}


/** The composition root: the server and the tests boot the same thing. */
export async function createApp(config: Config, logger: Logger): Promise<App> {
  const { applied } = await migrateDatabase(config.databaseUrl);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  const db = await openDatabase(config.databaseUrl);
  const storageHealth = new StorageHealth(logger);
  const blobs = new FileBlobStore(config.blobDir, config.tmpDir, storageHealth);
  const blobsInFlight = new BlobsInFlight();
  const answerRepository = new AnswerRepository(db, { dialect: parseDatabaseUrl(config.databaseUrl).kind, queryTimeoutMs: config.analyticsQueryTimeoutMs });
  const imageRepository = new ImageRepository(db);
  const jobRepository = new JobRepository(db);
  const metrics = new Metrics();
  const keys = new ApiKeyService(new ApiKeyRepository(db), config.auth);
  const limits = new UsageLimits();
  const tokenEstimate = new TokenEstimate({
    maxPixels: config.model.maxPixels,
    promptsPerCall: config.model.maxPromptsPerCall,
    completionTokensPerAnswer: config.auth.tokenReservePerAnswer,
  });
  const answerCache = new AnswerCache(config.answerCacheSize, config.cacheScope);
  const answers = new AnswerService(answerRepository, blobs, createModelProvider(config, metrics), answerCache, tokenEstimate, metrics);
  const events = new InProcessJobEvents();
  const runner = new JobRunner(
    jobRepository,
    imageRepository,
    answers,
    events,
    {
      imageConcurrency: config.model.maxConcurrency,
      itemRetries: config.jobs.itemRetries,
      retryDelayMs: config.jobs.retryDelayMs,
      budgetFor: async (job) => limits.budgetFor(await keys.callerForJob(job.tenant, job.apiKeyId)),
    },
    logger,
  );
  const signer = new UrlSigner(await urlSigningSecret(config.browser.urlSigningSecret, new SettingRepository(db)), config.browser.imageUrlTtlSeconds);
  const queue: JobQueue = new InProcessJobQueue(jobRepository, runner, config.jobs.concurrency, logger);
  const services: Services = {
    config,
    images: new ImageService(imageRepository, blobs, config.limits, async (url) => {
      const remote = await openRemoteImage(url, { ...config.imports, maxBytes: config.limits.uploadBytes });
      return remote.stream;
    }, storageHealth, blobsInFlight),
    answers,
    results: new ResultService(answerRepository, config.analyticsQueryTimeoutMs),
    jobs: new JobService(jobRepository, imageRepository, queue, events, {
      maxItems: config.jobs.maxItems,
      questionLength: config.limits.questionLength,
      maxActivePerTenant: config.jobs.maxActivePerTenant,
      maxQueuedItemsPerTenant: config.jobs.maxQueuedItemsPerTenant,
    }),
    keys,
    limits,
    imageUrls: new ImageUrls(signer),
    imageDelivery: new ImageDelivery(signer, imageRepository, blobs, new Thumbnails(blobs, metrics)),
  };
  // Leftovers of a crash: blobs without rows and temporary files (see orphan-sweep.ts).
  const orphanSweep = new OrphanSweep(blobs, imageRepository, blobsInFlight, logger);
  if (!(await keys.keysRequired())) {
    logger.warn('no API key exists yet: the gateway is open, as a single tenant ("default"); create one with `npm run keys -- create --tenant NAME` to require keys');
  }
  if (!config.model.configured) {
    logger.warn('no model endpoint configured: uploads and stored results work, new captions and answers fail with MODEL_NOT_CONFIGURED (set QWEN_API_KEY or QWEN_BASE_URL)');
  }
  return {
    config,
    logger,
    services,
    schema: await buildGatewaySchema(),
    metrics,
    ready: async () => {
      const storage = await storageHealth.readiness(() => blobs.checkWritable());
      if (!storage.ok) return storage;
      try {
        const { pending } = await pendingMigrations(config.databaseUrl, db);
        return pending.length === 0 ? { ok: true } : { ok: false, reason: `migrations not applied: ${pending.join(', ')}` };
      } catch {
        return { ok: false, reason: 'database unreachable' };
      }
    },
    jobCounts: () => services.jobs.countByStatus(),
    startWorkers: async () => {
      await queue.start();
      orphanSweep.start();
    },
    stopWorkers: async () => {
      await Promise.all([queue.stop(config.shutdownGraceMs), orphanSweep.stop()]);
    },
    close: async () => {
      await Promise.all([queue.stop(config.shutdownGraceMs), orphanSweep.stop()]);
      await db.$disconnect();
    },
  };
}
