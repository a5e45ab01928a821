import { createApp } from './app.js';
import { ConfigError, loadConfig, logLevel } from './platform/config.js';
import { createLogger } from './platform/logger.js';
import { startServer } from './platform/server.js';

const logger = createLogger(logLevel());

async function main(): Promise<void> {
  const config = loadConfig();
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
