import type { GraphQLSchema } from 'graphql';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { buildGatewaySchema } from './graphql/schema.js';
import type { ModelProvider } from './model/provider.js';
import { QwenVlProvider } from './model/qwen-vl-provider.js';
import { UnconfiguredProvider } from './model/unconfigured-provider.js';
import { AnswerCache } from './services/answer-cache.js';
import { AnswerService } from './services/answer-service.js';
import { ImageService } from './services/image-service.js';
import { InProcessJobEvents } from './services/jobs/job-events.js';
import { InProcessJobQueue, type JobQueue } from './services/jobs/job-queue.js';
import { JobRunner } from './services/jobs/job-runner.js';
import { JobService } from './services/jobs/job-service.js';
import { ResultService } from './services/result-service.js';
import { AnswerRepository } from './storage/answer-repository.js';
import { FileBlobStore } from './storage/blob-store.js';
import { openDatabase } from './storage/database.js';
import { ImageRepository } from './storage/image-repository.js';
import { JobRepository } from './storage/job-repository.js';
import { migrateDatabase } from './storage/migrate.js';

export interface Services {
  config: Config;
  images: ImageService;
  answers: AnswerService;
  results: ResultService;
  jobs: JobService;
}

export interface App {
  config: Config;
  logger: Logger;
  services: Services;
  schema: GraphQLSchema;
  /** Starts the job worker (resuming unfinished jobs). */
  startWorkers(): Promise<void>;
  /** Takes no new job work; in-flight upstream calls get SHUTDOWN_GRACE_MS to finish. */
  stopWorkers(): Promise<void>;
  /** Stops the workers (if not yet) and closes the database. */
  close(): Promise<void>;
}

function createProvider(config: Config): ModelProvider {
  const { model } = config;
  if (!model.configured) return new UnconfiguredProvider(model.name);
  return new QwenVlProvider({
    baseUrl: model.baseUrl,
    apiKey: model.apiKey,
    model: model.name,
    timeoutMs: model.timeoutMs,
    maxRetries: model.maxRetries,
    maxConcurrency: model.maxConcurrency,
    maxPixels: model.maxPixels,
    maxPromptsPerCall: model.maxPromptsPerCall,
  });
}

/** The composition root: the server and the tests boot the same thing. */
export async function createApp(config: Config, logger: Logger): Promise<App> {
  const { applied } = await migrateDatabase(config.databaseUrl);
  if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
  const db = await openDatabase(config.databaseUrl);
  const blobs = new FileBlobStore(config.blobDir, config.tmpDir);
  const answerRepository = new AnswerRepository(db);
  const imageRepository = new ImageRepository(db);
  const jobRepository = new JobRepository(db);
  const answers = new AnswerService(answerRepository, blobs, createProvider(config), new AnswerCache(config.answerCacheSize));
  const events = new InProcessJobEvents();
  const runner = new JobRunner(
    jobRepository,
    imageRepository,
    answers,
    events,
    { imageConcurrency: config.model.maxConcurrency, itemRetries: config.jobs.itemRetries, retryDelayMs: config.jobs.retryDelayMs },
    logger,
  );
  const queue: JobQueue = new InProcessJobQueue(jobRepository, runner, config.jobs.concurrency, logger);
  const services: Services = {
    config,
    images: new ImageService(imageRepository, blobs, config.limits),
    answers,
    results: new ResultService(answerRepository),
    jobs: new JobService(jobRepository, imageRepository, queue, events, { maxItems: config.jobs.maxItems, questionLength: config.limits.questionLength }),
  };
  if (!config.model.configured) {
    logger.warn('no model endpoint configured: uploads and stored results work, new captions and answers fail with MODEL_NOT_CONFIGURED (set QWEN_API_KEY or QWEN_BASE_URL)');
  }
  return {
    config,
    logger,
    services,
    schema: await buildGatewaySchema(),
    startWorkers: () => queue.start(),
    stopWorkers: () => queue.stop(config.shutdownGraceMs),
    close: async () => {
      await queue.stop(config.shutdownGraceMs);
      await db.$disconnect();
    },
  };
}
