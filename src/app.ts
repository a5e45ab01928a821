import type { App, Services } from './app-types.js';
import { createContext } from './context.js';
import { admitCaller } from './modules/access/authenticate.js';
import { buildGatewaySchema, modules } from './modules/index.js';
import { multipartUploads } from './modules/images/multipart.js';
import type { Config } from './platform/config.js';
import { DOCUMENT_BYTES } from './platform/graphql/operation-size.js';
import type { Logger } from './platform/logger.js';
import { Metrics } from './platform/metrics.js';
import { createEmbedder, createModelProvider } from './model/create-provider.js';
import { JsonObjectFallbacks } from './model/json-object-fallbacks.js';
import { TokenEstimate } from './model/token-estimate.js';
import { outputCapOf, promptsPerCall } from './model/output-cap.js';
import { AnswerCache } from './modules/answers/answer-cache.js';
import { AnswerService } from './modules/answers/answer.service.js';
import { RefusalMemory } from './modules/answers/refusal-memory.js';
import { SimilarAnswers } from './modules/answers/similar-answers.js';
import { AnswerStreamService } from './modules/answers/answer-stream.service.js';
import { ApiKeyService } from './modules/access/api-key.service.js';
import { TokenPayer } from './modules/access/token-payer.js';
import { UsageLimits } from './modules/access/usage-limits.js';
import { redisLimiters } from './modules/access/redis-limiters.js';
import { RedisAnswerClaims } from './modules/answers/redis-answer-claims.js';
import { RedisStreamRelay } from './modules/answers/redis-stream-relay.js';
import { ReplicaCaches } from './modules/lifecycle/replica-caches.js';
import { readinessOf } from './platform/http/health.js';
import { RedisUpstreamSlots } from './model/redis-upstream-slots.js';
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
import { BullMqJobQueue } from './modules/jobs/bullmq-job-queue.js';
import { RedisJobEvents } from './modules/jobs/redis-job-events.js';
import { RedisConnections } from './platform/redis/connection.js';
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
import { createBlobStorage } from './platform/blob-storage/blob-storage.js';
import { openDatabase } from './platform/database/database.js';
import { SqlStatements } from './platform/database/sql-statements.js';
import { parseDatabaseUrl } from './platform/database/database-url.js';
import { ImageRepository, type ImageRecord } from './modules/images/image.repository.js';
import { JobRepository } from './modules/jobs/job.repository.js';
import { migrateDatabase, pendingMigrations } from './platform/database/migrate.js';
import { SettingRepository } from './platform/database/setting.repository.js';
import { UsageLedger } from './modules/analytics/usage-ledger.js';
import { UsageRepository } from './modules/analytics/usage.repository.js';
import { UsageService } from './modules/analytics/usage.service.js';
import { PriceTable } from './modules/analytics/model-prices.js';
import { BlobRelease } from './modules/lifecycle/blob-release.js';
import { InProcessDeletionEffects } from './modules/lifecycle/deletion-effects.js';
import { DeletionRepository } from './modules/lifecycle/deletion.repository.js';
import { DeletionService } from './modules/lifecycle/deletion.service.js';
import { RetentionSweep } from './modules/lifecycle/retention-sweep.js';
import { ErasureWatch } from './modules/lifecycle/erasure-watch.js';
import { ExportService } from './modules/exports/export.service.js';
import { ExportLinks } from './modules/exports/export-links.js';
import { createWebhooks } from './modules/webhooks/create-webhooks.js';
import { FingerprintRepository } from './modules/near-duplicates/fingerprint.repository.js';
import { NearDuplicateService } from './modules/near-duplicates/near-duplicate.service.js';
import { Flights } from './modules/engine/flights.js';
import { ModelCalls } from './modules/engine/model-calls.js';

/** The composition root: the server and the tests boot the same thing. */
export async function createApp(config: Config, logger: Logger): Promise<App> {
  const { applied } = await migrateDatabase(config.databaseUrl);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  const metrics = new Metrics(config.metrics);
  const statements = new SqlStatements();
  statements.watch(() => metrics.dbStatements.inc());
  const db = await openDatabase(config.databaseUrl, { onStatement: statements.record });
  // REDIS_URL: the shared Redis of a scale-out deployment (docs/scale-out-and-deployment.md); null: everything stays in this process.
  const redis = config.redis ? new RedisConnections(config.redis, logger) : null;
  const storageHealth = new StorageHealth(logger);
  // S3_BUCKET: an S3-compatible bucket every replica shares; otherwise files under DATA_DIR/blobs.
  const blobStorage = await createBlobStorage(config, storageHealth);
  const blobs = blobStorage.store;
  const blobsInFlight = new BlobsInFlight();
  const answerRepository = new AnswerRepository(db, { dialect: parseDatabaseUrl(config.databaseUrl).kind, queryTimeoutMs: config.analyticsQueryTimeoutMs });
  const imageRepository = new ImageRepository(db);
  const imageCache = new ImageCache(imageRepository);
  const jobRepository = new JobRepository(db);
  const keys = new ApiKeyService(new ApiKeyRepository(db), config.auth);
  const limits = new UsageLimits(redis ? await redisLimiters(redis, logger) : undefined);
  const payer = new TokenPayer(keys, limits);
  // How images reach the primary model, which the estimates and boxes follow.
  const imageSending = { maxPixels: config.model.maxPixels, model: config.model.name, highResolution: config.model.highResolutionImages };
  const tokenEstimate = new TokenEstimate({
    ...imageSending,
    promptsPerCall: promptsPerCall(config.model.maxPromptsPerCall, config.auth.tokenReservePerAnswer, outputCapOf(config.model.name, config.model.maxOutputTokens)),
    completionTokensPerAnswer: config.auth.tokenReservePerAnswer,
    thinkingBudget: config.model.thinkingBudget,
    fallbackModels: config.resilience.fallbacks.map((fallback) => fallback.model),
    maxPromptsPerCall: config.model.maxPromptsPerCall,
    maxOutputTokens: config.model.maxOutputTokens,
  });
  // A refresh tells the other replicas to drop their copy (replicaCaches, below: only with REDIS_URL).
  const answerCache = new AnswerCache(config.answerCacheSize, config.cacheScope, (key) => replicaCaches?.answerReplaced(key));
  const { globalMaxConcurrency } = config.model;
  // QWEN_GLOBAL_MAX_CONCURRENCY (needs REDIS_URL): a slot lasts at most one request's deadline.
  const slots = redis && globalMaxConcurrency ? new RedisUpstreamSlots(redis, globalMaxConcurrency, config.resilience.deadlineMs, logger) : undefined;
  const settings = new SettingRepository(db);
  const jsonObjectFallbacks = new JsonObjectFallbacks(settings, logger);
  await jsonObjectFallbacks.load();
  const provider = createModelProvider(config, metrics, slots, logger, jsonObjectFallbacks);
  const usageRepository = new UsageRepository(db, { dialect: parseDatabaseUrl(config.databaseUrl).kind, queryTimeoutMs: config.analyticsQueryTimeoutMs });
  // Every upstream call and result served, for Query.usage and the usage metrics.
  const ledger = new UsageLedger(usageRepository, metrics, logger);
  const claims = redis ? new RedisAnswerClaims(redis, config.resilience.deadlineMs, logger) : undefined;
  // Perceptual fingerprints of new uploads, computed in the background once the rows are stored.
  const nearDuplicates = new NearDuplicateService(new FingerprintRepository(db), blobs, config.nearDuplicates, logger);
  // CACHE_SIMILAR_IMAGES, CACHE_SIMILAR_PROMPTS: answers reused across near-duplicate images and similar questions.
  const similar = new SimilarAnswers(answerRepository, nearDuplicates, config.similarAnswers, logger, createEmbedder(config), ledger);
  const refusals = new RefusalMemory(config.modelRefusalTtlSeconds);
  // The engine: every model call goes through `calls`, and every keyed kind's work under way is in `flights`.
  const calls = new ModelCalls({ provider, blobs, ledger });
  const flights = new Flights();
  const answers = new AnswerService({ answers: answerRepository, calls, flights, cache: answerCache, estimate: tokenEstimate, metrics, ledger, claims, refusals, similar });
  const vision = new VisionService(answers, { ...config.vision, maxPixels: config.model.maxPixels, highResolution: config.model.highResolutionImages });
  // Job webhooks (WEBHOOK_SECRET): a job's end also schedules its webhook.
  const webhooks = createWebhooks(db, redis, config.webhooks, logger);
  const events = webhooks.announceJobEnds(redis ? new RedisJobEvents(redis, (jobId) => jobRepository.findById(jobId), logger) : new InProcessJobEvents());
  // Deletions and refreshes drop this process's memory copies; with REDIS_URL every other replica's too.
  const localEffects = new InProcessDeletionEffects(imageCache, answerCache, events, keys);
  const replicaCaches = redis ? new ReplicaCaches(localEffects, answerCache, redis, logger) : null;
  const deletionRepository = new DeletionRepository(db);
  // `tenants delete` from the CLI (another process), noticed through the database (TENANT_ERASURE_CHECK_MS).
  const erasureWatch = new ErasureWatch(deletionRepository, localEffects, config.retention.erasureCheckMs, logger);
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
  const signer = new UrlSigner(await urlSigningSecret(config.browser.urlSigningSecret, settings), config.browser.imageUrlTtlSeconds);
  const results = new ResultService(answerRepository, config.analyticsQueryTimeoutMs);
  const prices = new PriceTable(config.modelPrices);
  const usage = new UsageService(usageRepository, ledger, config.analyticsQueryTimeoutMs, prices);

  const queue: JobQueue = redis
    ? new BullMqJobQueue(jobRepository, runner, redis, { concurrency: config.jobs.concurrency, leaseMs: config.jobs.leaseMs }, logger)
    : new InProcessJobQueue(jobRepository, runner, config.jobs.concurrency, logger);
  const services: Services = {
    config,
    images: new ImageService(imageRepository, imageCache, blobs, config.limits, async (url) => {
      const remote = await openRemoteImage(url, { ...config.imports, maxBytes: config.limits.uploadBytes });
      return remote.stream;
    }, storageHealth, blobsInFlight, onUploadsStored),
    answers,
    answerStreams: new AnswerStreamService({
      answers, store: answerRepository, calls, flights, cache: answerCache, estimate: tokenEstimate, metrics, ledger, refusals, claims,
      relay: redis && claims ? new RedisStreamRelay(redis, claims, logger) : undefined,
    }),
    results,
    vision,
    jobs: new JobService(jobRepository, imageRepository, queue, events, {
      maxItems: config.jobs.maxItems,
      questionLength: config.limits.questionLength,
      maxActivePerTenant: config.jobs.maxActivePerTenant,
      maxQueuedItemsPerTenant: config.jobs.maxQueuedItemsPerTenant,
    }, vision, webhooks.service),
    webhooks: webhooks.service,
    conversations: new ConversationService({
      conversations: new ConversationRepository(db),
      images: imageRepository,
      calls,
      context: new ConversationContext({ ...imageSending, maxTokens: config.conversations.maxContextTokens }),
      limits: {
        maxImages: config.limits.imagesPerQuestion,
        messageLength: config.limits.questionLength,
        completionTokens: config.auth.tokenReservePerAnswer + tokenEstimate.thinkingTokensPerCall,
        claimTtlMs: config.resilience.deadlineMs,
      },
      ledger,
    }),
    imagesAnswers: new ImagesAnswerService({
      answers: new ImagesAnswerRepository(db),
      images: imageRepository,
      calls,
      flights,
      estimate: tokenEstimate,
      scope: config.cacheScope,
      limits: { maxImages: config.limits.imagesPerQuestion, questionLength: config.limits.questionLength },
      ledger,
      claims,
    }),
    keys,
    limits,
    payer,
    usage,
    prices,
    nearDuplicates,
    imageUrls: new ImageUrls(signer),
    imageDelivery: new ImageDelivery(signer, imageRepository, blobs, new Thumbnails(blobs, metrics)),
    exports: new ExportService(results, usage, prices),
    exportLinks: new ExportLinks(signer),
    deletion: new DeletionService(
      deletionRepository,
      new BlobRelease(blobs, imageRepository, blobsInFlight),
      results,
      replicaCaches ?? localEffects,
    ),
  };
  function onUploadsStored(uploader: Uploader, created: ImageRecord[]): void {
    nearDuplicates.fingerprintLater(created);
    if (config.jobs.moderateUploads) moderateUploads(uploader, created);
  }
  /** MODERATE_UPLOADS: new images are moderated by a background job; the upload never waits for it, nor fails with it. */
  function moderateUploads(uploader: Uploader, created: ImageRecord[]): void {
    services.jobs.moderateUploads(uploader, created).catch((error: unknown) => logger.warn({ err: error, tenant: uploader.tenant, images: created.length }, 'moderation of new uploads could not be queued'));
  }
  // Leftovers of a crash: blobs without rows and temporary files (see orphan-sweep.ts).
  const orphanSweep = new OrphanSweep(blobs, imageRepository, blobsInFlight, logger);
  // RETENTION_DAYS, JOB_RETENTION_DAYS (see retention-sweep.ts).
  const retentionSweep = new RetentionSweep(services.deletion, config.retention, logger);
  if (!(await keys.keysRequired())) {
    logger.warn(
      config.auth.required === false
        ? 'AUTH_REQUIRED=false: requests without a key are served as tenant "default", whatever keys exist'
        : 'the gateway is open: requests without a key are served as a single tenant ("default"); create a key with `npm run keys -- create` to require keys',
    );
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
      admit: (req, res) => admitCaller(services, req, res),
      readUploads: multipartUploads({ uploadBytes: config.limits.uploadBytes, uploadFiles: config.limits.uploadFiles, fieldBytes: DOCUMENT_BYTES }),
    },
    ready: () =>
      readinessOf({
        ...blobStorage.checks,
        database: async () => {
          try {
            const { pending } = await pendingMigrations(config.databaseUrl, db);
            return pending.length === 0 ? { ok: true } : { ok: false, reason: `migrations not applied: ${pending.join(', ')}` };
          } catch {
            return { ok: false, reason: 'database unreachable' };
          }
        },
        ...(redis && { redis: () => redis.check() }),
      }),
    jobCounts: () => services.jobs.countByStatus(),
    startWorkers: async () => {
      await replicaCaches?.listen();
      await erasureWatch.start();
      await queue.start();
      await webhooks.schedule.start();
      orphanSweep.start();
      retentionSweep.start();
      ledger.start();
    },
    stopWorkers: async () => {
      await Promise.all([queue.stop(config.shutdownGraceMs), webhooks.schedule.stop(), orphanSweep.stop(), retentionSweep.stop(), erasureWatch.stop(), nearDuplicates.stop()]);
      // After the queue: calls that finished in the grace period are recorded too.
      await ledger.stop();
    },
    close: async () => {
      await Promise.all([queue.stop(config.shutdownGraceMs), webhooks.schedule.stop(), orphanSweep.stop(), retentionSweep.stop(), erasureWatch.stop(), nearDuplicates.stop()]);
      await ledger.stop();
      await redis?.close();
      blobStorage.close();
      await db.$disconnect();
    },
  };
}
