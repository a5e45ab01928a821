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
import { ResultService } from './services/result-service.js';
import { AnswerRepository } from './storage/answer-repository.js';
import { FileBlobStore } from './storage/blob-store.js';
import { openDatabase } from './storage/database.js';
import { ImageRepository } from './storage/image-repository.js';
import { migrateDatabase } from './storage/migrate.js';

export interface Services {
  config: Config;
  images: ImageService;
  answers: AnswerService;
  results: ResultService;
}

export interface App {
  config: Config;
  logger: Logger;
  services: Services;
  schema: GraphQLSchema;
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
  const services: Services = {
    config,
    images: new ImageService(new ImageRepository(db), blobs, config.limits),
    answers: new AnswerService(answerRepository, blobs, createProvider(config), new AnswerCache(config.answerCacheSize)),
    results: new ResultService(answerRepository),
  };
  if (!config.model.configured) {
    logger.warn('no model endpoint configured: uploads and stored results work, new captions and answers fail with MODEL_NOT_CONFIGURED (set QWEN_API_KEY or QWEN_BASE_URL)');
  }
  return {
    config,
    logger,
    services,
    schema: await buildGatewaySchema(),
    close: () => db.$disconnect(),
  };
}
