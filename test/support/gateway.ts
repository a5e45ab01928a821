import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app.js';
import type { App } from '../../src/app-types.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger, type Logger } from '../../src/platform/logger.js';
import { startServer, type RunningServer } from '../../src/platform/server.js';
import { startFakeQwen, type FakeQwen, type FakeQwenOptions } from '../fake-qwen/index.js';
import { GraphQLClient } from './client.js';

export interface TestGateway {
  app: App;
  server: RunningServer;
  client: GraphQLClient;
  dataDir: string;
  /** Stops the gateway but keeps its data, so a new one can start on the same files. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  env?: Record<string, string>;
  dataDir?: string;
  /** Where the gateway logs (e.g. a capture, see log-capture.ts); silent unless TEST_LOG_LEVEL is set. */
  logger?: Logger;
}

/** Boots the real app (migrations, SQLite, files, Apollo) on an ephemeral port, as `npm start` does. */
export async function startGateway(options: GatewayOptions = {}): Promise<TestGateway> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'gateway-test-')));
  // Suites make hundreds of requests a minute from one client: lift the per-minute limit unless a test sets it.
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, PORT: '0', RATE_LIMIT_PER_MINUTE: '1000000', ...options.env });
  const app = await createApp(config, options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
  const server = await startServer(app, 0);
  await app.startWorkers();
  return {
    app,
    server,
    dataDir,
    client: new GraphQLClient(server.url),
    stop: async () => {
      await server.close();
      await app.close();
    },
  };
}

export interface Harness {
  fake: FakeQwen;
  /** Replace it to restart on the same data (see `restartGateway`). */
  gateway: TestGateway;
  close(): Promise<void>;
}

/** Points the gateway at the fake; no retries unless a test asks, so fault counts are exact. */
function modelEnv(fake: FakeQwen): Record<string, string> {
  return { QWEN_BASE_URL: fake.url, QWEN_API_KEY: 'test-key', QWEN_MODEL: 'qwen-vl-test', QWEN_MAX_RETRIES: '0' };
}

/** A gateway pointed at a fresh fake endpoint; `close` removes everything it made. */
export async function startHarness(options: GatewayOptions & { fake?: FakeQwenOptions } = {}): Promise<Harness> {
  const fake = await startFakeQwen({ apiKey: 'test-key', ...options.fake });
  const gateway = await startGateway({
    ...options,
    env: { ...modelEnv(fake), ...options.env },
  });
  const harness: Harness = {
    fake,
    gateway,
    // Reads harness.gateway at close time: a test may have restarted it.
    close: async () => {
      await harness.gateway.stop();
      await fake.close();
      await rm(harness.gateway.dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Stops the harness's gateway and starts a new one on the same data folder, with extra environment. */
export async function restartGateway(harness: Harness, env: Record<string, string> = {}): Promise<TestGateway> {
  await harness.gateway.stop();
  harness.gateway = await startGateway({
    dataDir: harness.gateway.dataDir,
    env: { ...modelEnv(harness.fake), ...env },
  });
  return harness.gateway;
}
