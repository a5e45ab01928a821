import type { App, Services } from './app-types.js';
import { createContext } from './context.js';
import { authenticate, callerOf } from './modules/access/authenticate.js';
import { buildGatewaySchema, modules } from './modules/index.js';
import { multipartUploads } from './modules/images/multipart.js';
import type { Config } from './platform/config.js';
import { DOCUMENT_BYTES } from './platform/graphql/operation-size.js';
import type { Logger } from './platform/logger.js';
import { Metrics } from './platform/metrics.js';
import { createModelProvider } from './model/create-provider.js';
import { TokenEstimate } from './model/token-estimate.js';
import { AnswerCache } from './modules/answers/answer-cache.js';
import { AnswerService } from './modules/answers/answer.service.js';
import { AnswerStreamService } from './modules/answers/answer-stream.service.js';
import { ApiKeyService } from './modules/access/api-key.service.js';
import { TokenPayer } from './modules/access/token-payer.js';
import { UsageLimits } from './modules/access/usage-limits.js';
import { ImageDelivery } from './modules/images/image-delivery.js';
import { ImageService, type Uploader } from './modules/images/image.service.js';
import { ImageCache } from './modules/images/image-cache.js';
import { BlobsInFlight } from './modules/images/blobs-in-flight.js';
import { OrphanSweep } from './modules/images/orphan-sweep.js';
import { StorageHealth } from './platform/blob-storage/storage-health.js';
import { ImageUrls } from './modules/images/image-urls.js';
import { urlSigningSecret } from './modules/images/signing-secret.js';
import { Thumbnails } from './modules/images/thumbnails.js';
import { UrlSigner } from './modules/images/url-signing.js';
import { openRemoteImage } from './modules/imports/index.js';
import { InProcessJobEvents } from './modules/jobs/job-events.js';
import { InProcessJobQueue, type JobQueue } from './modules/jobs/job-queue.js';
import { JobRunner } from './modules/jobs/job-runner.js';
import { JobService } from './modules/jobs/job.service.js';
import { ConversationContext } from './modules/conversations/conversation-context.js';
import { ConversationRepository } from './modules/conversations/conversation.repository.js';
import { ConversationService } from './modules/conversations/conversation.service.js';
import { ImagesAnswerRepository } from './modules/vision/images-answer.repository.js';
import { ImagesAnswerService } from './modules/vision/images-answer.service.js';
import { ResultService } from './modules/answers/result.service.js';
import { VisionService } from './modules/vision/vision.service.js';
import { AnswerRepository } from './modules/answers/answer.repository.js';
import { ApiKeyRepository } from './modules/access/api-key.repository.js';
import { FileBlobStore } from './platform/blob-storage/blob-store.js';
import { openDatabase } from './platform/database/database.js';
import { SqlStatements } from './platform/database/sql-statements.js';
import { parseDatabaseUrl } from './platform/database/database-url.js';
import { ImageRepository, type ImageRecord } from './modules/images/image.repository.js';
import { JobRepository } from './modules/jobs/job.repository.js';
import { migrateDatabase, pendingMigrations } from './platform/database/migrate.js';
import { SettingRepository } from './platform/database/setting.repository.js';

/** The composition root: the server and the tests boot the same thing. */
export async function createApp(config: Config, logger: Logger): Promise<App> {
  const { applied } = await migrateDatabase(config.databaseUrl);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  const metrics = new Metrics();
  const statements = new SqlStatements();
  statements.watch(() => metrics.dbStatements.inc());
  const db = await openDatabase(config.databaseUrl, { onStatement: statements.record });
  const storageHealth = new StorageHealth(logger);
  const blobs = new FileBlobStore(config.blobDir, config.tmpDir, storageHealth);
  const blobsInFlight = new BlobsInFlight();
  const answerRepository = new AnswerRepository(db, { dialect: parseDatabaseUrl(config.databaseUrl).kind, queryTimeoutMs: config.analyticsQueryTimeoutMs });
  const imageRepository = new ImageRepository(db);
  const imageCache = new ImageCache(imageRepository);
  const jobRepository = new JobRepository(db);
  const keys = new ApiKeyService(new ApiKeyRepository(db), config.auth);
  const limits = new UsageLimits();
  const payer = new TokenPayer(keys, limits);
  const tokenEstimate = new TokenEstimate({
    maxPixels: config.model.maxPixels,
    promptsPerCall: config.model.maxPromptsPerCall,
    completionTokensPerAnswer: config.auth.tokenReservePerAnswer,
  });
  const answerCache = new AnswerCache(config.answerCacheSize, config.cacheScope);
  const provider = createModelProvider(config, metrics);
  const answers = new AnswerService(answerRepository, blobs, provider, answerCache, tokenEstimate, metrics);
  const vision = new VisionService(answers, { ...config.vision, maxPixels: config.model.maxPixels });
  const events = new InProcessJobEvents();
  const runner = new JobRunner(
    jobRepository,
    imageCache,
    answers,
    vision,
    events,
    {
      imageConcurrency: config.model.maxConcurrency,
      itemRetries: config.jobs.itemRetries,
      retryDelayMs: config.jobs.retryDelayMs,
      budgetFor: (job) => payer.ofJob(job),
    },
    logger,
  );
  const signer = new UrlSigner(await urlSigningSecret(config.browser.urlSigningSecret, new SettingRepository(db)), config.browser.imageUrlTtlSeconds);
  const queue: JobQueue = new InProcessJobQueue(jobRepository, runner, config.jobs.concurrency, logger);
  const services: Services = {
    config,
    images: new ImageService(imageRepository, imageCache, blobs, config.limits, async (url) => {
      const remote = await openRemoteImage(url, { ...config.imports, maxBytes: config.limits.uploadBytes });
      return remote.stream;
    }, storageHealth, blobsInFlight, config.jobs.moderateUploads ? moderateUploads : undefined),
    answers,
    answerStreams: new AnswerStreamService(answers, answerRepository, blobs, provider, answerCache, tokenEstimate, metrics),
    results: new ResultService(answerRepository, config.analyticsQueryTimeoutMs),
    vision,
    jobs: new JobService(jobRepository, imageRepository, queue, events, {
      maxItems: config.jobs.maxItems,
      questionLength: config.limits.questionLength,
      maxActivePerTenant: config.jobs.maxActivePerTenant,
      maxQueuedItemsPerTenant: config.jobs.maxQueuedItemsPerTenant,
    }, vision),
    conversations: new ConversationService(
      new ConversationRepository(db),
      imageRepository,
      blobs,
      provider,
      new ConversationContext({ maxPixels: config.model.maxPixels, maxTokens: config.conversations.maxContextTokens }),
      {
        maxImages: config.limits.imagesPerQuestion,
        messageLength: config.limits.questionLength,
        completionTokens: config.auth.tokenReservePerAnswer,
        claimTtlMs: config.resilience.deadlineMs,
      },
    ),
    imagesAnswers: new ImagesAnswerService(new ImagesAnswerRepository(db), imageRepository, blobs, provider, tokenEstimate, config.cacheScope, {
      maxImages: config.limits.imagesPerQuestion,
      questionLength: config.limits.questionLength,
    }),
    keys,
    limits,
    payer,
    imageUrls: new ImageUrls(signer),
    imageDelivery: new ImageDelivery(signer, imageRepository, blobs, new Thumbnails(blobs, metrics)),
  };
  /** MODERATE_UPLOADS: new images are moderated by a background job; the upload never waits for it, nor fails with it. */
  function moderateUploads(uploader: Uploader, created: ImageRecord[]): void {
    services.jobs.moderateUploads(uploader, created).catch((error: unknown) => logger.warn({ err: error, tenant: uploader.tenant, images: created.length }, 'moderation of new uploads could not be queued'));
  }
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
    statements,
    callers: { authenticate: (authorization) => keys.authenticate(authorization), admit: (caller) => limits.admitRequest(caller) },
    contextFor: (caller, baseUrl, signal) => createContext(services, caller, baseUrl, signal),
    http: {
      routes: modules.flatMap((module) => (module.routes ? [module.routes(services, logger)] : [])),
      authenticate: authenticate(services),
      callerOf,
      uploads: multipartUploads({ uploadBytes: config.limits.uploadBytes, uploadFiles: config.limits.uploadFiles, fieldBytes: DOCUMENT_BYTES }),
    },
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
