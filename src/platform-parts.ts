import type { Config } from './platform/config.js';
import type { Logger } from './platform/logger.js';
import { Metrics } from './platform/metrics.js';
import { createBlobStorage } from './platform/blob-storage/blob-storage.js';
import type { BlobStore } from './platform/blob-storage/blob-store.js';
import { StorageHealth } from './platform/blob-storage/storage-health.js';
import { openDatabase, type Db } from './platform/database/database.js';
import { parseDatabaseUrl } from './platform/database/database-url.js';
import { migrateDatabase, pendingMigrations } from './platform/database/migrate.js';
import { SettingRepository } from './platform/database/setting.repository.js';
import type { SqlDialect } from './platform/database/sql-dialect.js';
import { SqlStatements } from './platform/database/sql-statements.js';
import { readinessOf, type Readiness } from './platform/http/health.js';
import { RedisConnections } from './platform/redis/connection.js';
import { createModelProvider } from './model/create-provider.js';
import type { ImageSending } from './model/image-frame.js';
import { JsonObjectFallbacks } from './model/json-object-fallbacks.js';
import { outputCapOf, promptsPerCall } from './model/output-cap.js';
import type { ModelProvider } from './model/provider.js';
import { RedisUpstreamSlots } from './model/redis-upstream-slots.js';
import { TokenEstimate } from './model/token-estimate.js';

/** What every module builds on: the process's configuration, storage, shared Redis and model, each made once. */
export interface Platform {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Every SQL statement sent (gateway_db_statements_total). */
  statements: SqlStatements;
  db: Db;
  /** How the stored-results and usage lists query: the database's dialect and ANALYTICS_QUERY_TIMEOUT_MS. */
  analyticsQueries: { dialect: SqlDialect; queryTimeoutMs: number };
  /** REDIS_URL: the shared Redis of a scale-out deployment (docs/scale-out-and-deployment.md); null: everything stays in this process. */
  redis: RedisConnections | null;
  blobs: BlobStore;
  storageHealth: StorageHealth;
  settings: SettingRepository;
  provider: ModelProvider;
  /** How images reach the primary model, which the estimates and boxes follow. */
  imageSending: ImageSending;
  tokenEstimate: TokenEstimate;
  /** Storage writable, database reachable with every migration applied, Redis (when used) answering. */
  ready(): Promise<Readiness>;
  /** Closes Redis, the blob storage and the database; the modules' workers are stopped before. */
  close(): Promise<void>;
}

export async function openPlatform(config: Config, logger: Logger): Promise<Platform> {
  const { applied } = await migrateDatabase(config.databaseUrl);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  const metrics = new Metrics(config.metrics);
  const statements = new SqlStatements();
  statements.watch(() => metrics.dbStatements.inc());
  const db = await openDatabase(config.databaseUrl, { onStatement: statements.record });
  const redis = config.redis ? new RedisConnections(config.redis, logger) : null;
  const storageHealth = new StorageHealth(logger);
  // S3_BUCKET: an S3-compatible bucket every replica shares; otherwise files under DATA_DIR/blobs.
  const blobStorage = await createBlobStorage(config, storageHealth);
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
  const { globalMaxConcurrency } = config.model;
  // QWEN_GLOBAL_MAX_CONCURRENCY (needs REDIS_URL): a slot lasts at most one request's deadline.
  const slots = redis && globalMaxConcurrency ? new RedisUpstreamSlots(redis, globalMaxConcurrency, config.resilience.deadlineMs, logger) : undefined;
  const settings = new SettingRepository(db);
  const jsonObjectFallbacks = new JsonObjectFallbacks(settings, logger);
  await jsonObjectFallbacks.load();
  if (!config.model.configured) {
    logger.warn('no model endpoint configured: uploads and stored results work, new captions and answers fail with MODEL_NOT_CONFIGURED (set QWEN_API_KEY or QWEN_BASE_URL)');
  }
  return {
    config,
    logger,
    metrics,
    statements,
    db,
    analyticsQueries: { dialect: parseDatabaseUrl(config.databaseUrl).kind, queryTimeoutMs: config.analyticsQueryTimeoutMs },
    redis,
    blobs: blobStorage.store,
    storageHealth,
    settings,
    provider: createModelProvider(config, metrics, slots, logger, jsonObjectFallbacks),
    imageSending,
    tokenEstimate,
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
    close: async () => {
      await redis?.close();
      blobStorage.close();
      await db.$disconnect();
    },
  };
}

/** A module's background work: started once the app is built (App.startWorkers), stopped before it closes. */
export interface Worker {
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}
