import { createApp } from './app.js';
import { ConfigError, loadConfig, logLevel } from './platform/config.js';
import { createLogger } from './platform/logger.js';
import { startServer } from './platform/server.js';
import { startTracing } from './platform/tracing/start-tracing.js';

const logger = createLogger(logLevel());

async function main(): Promise<void> {
  const config = loadConfig();
  // OTEL_EXPORTER_OTLP_ENDPOINT: registered before anything is traced; null (no SDK loaded) when unset.
  const tracing = await startTracing(config.tracing);
  const app = await createApp(config, logger);
  const server = await startServer(app);
  await app.startWorkers();
  logger.info({ url: server.url, model: config.model.name, endpoint: config.model.baseUrl, database: config.databaseUrl.split(':')[0] }, `gateway listening on ${server.url}`);

  // SIGTERM: refuse new requests and subscriptions, let in-flight work finish
  // (SHUTDOWN_GRACE_MS), close. Unfinished jobs stay in the database for the next start.
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await Promise.all([server.close(), app.stopWorkers()]);
    await app.close();
    // The spans of the last requests, still buffered.
    await tracing?.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    // One clear line per invalid variable, nothing else.
    console.error(error.message);
  } else {
    logger.fatal({ err: error }, 'the gateway could not start');
  }
  process.exit(1);
});
