import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

const logger = createLogger();

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config, logger);
  const server = await startServer(app);
  logger.info({ url: server.url, model: config.model.name, endpoint: config.model.baseUrl, database: config.databaseUrl.split(':')[0] }, `gateway listening on ${server.url}`);

  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await server.close();
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
