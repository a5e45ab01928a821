import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { migrateDatabase } from '../../src/platform/database/migrate.js';
import { startFakeQwen, type FakeQwen, type FakeQwenOptions } from '../fake-qwen/index.js';
import { PROCESS_START_MS, spawnGateway, type ChildGateway } from './child-gateway.js';
import { services } from './services.js';

// Scale-out tests: several real gateway processes on a PostgreSQL server and Redis, as the run's
// global setup found them (test/support/test-services.ts). PGlite cannot stand in for the server:
// each cluster needs a database of its own (CREATE DATABASE) and many pooled connections at once.
const PG_URL = services.postgres?.embedded ? undefined : services.postgres?.url;
const REDIS_URL = services.redisUrl;
export const replicasUnavailable = PG_URL === undefined || REDIS_URL === undefined;

function requiredServers(): { postgresUrl: string; redisUrl: string } {
  if (!PG_URL || !REDIS_URL) throw new Error('the scale-out tests need a PostgreSQL server and Redis: guard them with replicasUnavailable');
  return { postgresUrl: PG_URL, redisUrl: REDIS_URL };
}

/** A backstop for a test or hook that starts replicas (in parallel) and then works with them. */
export const REPLICA_TEST_TIMEOUT = 2 * PROCESS_START_MS;

export interface ReplicaOptions {
  /** Extra environment for every replica (S3_BUCKET, JOB_LEASE_MS, ...). */
  env?: Record<string, string>;
  fake?: FakeQwenOptions;
  /**
   * Every replica's blob folder is one shared folder (a stand-in for shared storage, for suites about
   * something else than blobs); otherwise each keeps its own, as on separate machines.
   */
  sharedBlobs?: boolean;
}

export interface Replicas {
  fake: FakeQwen;
  /** The fresh database every replica of this cluster uses. */
  databaseUrl: string;
  /** Every replica's environment (each adds its own DATA_DIR). */
  env: Record<string, string>;
  /** Replicas started so far, killed ones included. */
  all: ChildGateway[];
  /** Starts one more replica, with its own DATA_DIR, and waits until it listens. */
  start(env?: Record<string, string>): Promise<ChildGateway>;
  /** Starts `count` replicas at the same moment. */
  startMany(count: number, env?: Record<string, string>): Promise<ChildGateway[]>;
  /** A Redis client on the cluster's prefix, for tests that look at or disturb Redis (closed by `close`). */
  redis(): Redis;
  /** Kills what still runs, drops the database and the Redis keys, removes the folders. */
  close(): Promise<void>;
}

/**
 * A cluster of gateway replicas sharing one fresh PostgreSQL database (made
 * and migrated here, dropped by `close`), one Redis under a random
 * REDIS_PREFIX, one URL signing secret and one fake model endpoint.
 */
export async function startReplicas(count: number, options: ReplicaOptions = {}): Promise<Replicas & { replicas: ChildGateway[] }> {
  const { postgresUrl, redisUrl } = requiredServers();
  const fake = await startFakeQwen({ apiKey: 'k', ...options.fake });
  const database = await createDatabase(postgresUrl);
  // Migrated once here: replicas starting together would otherwise race to apply the same migrations.
  await migrateDatabase(database.url);
  const root = await mkdtemp(path.join(os.tmpdir(), 'gateway-replicas-'));
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    URL_SIGNING_SECRET: randomBytes(32).toString('hex'),
    QWEN_BASE_URL: fake.url,
    QWEN_API_KEY: 'k',
    QWEN_MODEL: 'qwen-vl-test',
    QWEN_MAX_RETRIES: '0',
    RATE_LIMIT_PER_MINUTE: '1000000',
    ...options.env,
  };
  const all: ChildGateway[] = [];
  const clients: Redis[] = [];
  let started = 0;
  const start = async (extra: Record<string, string> = {}) => {
    const dataDir = path.join(root, `replica-${started++}`);
    if (options.sharedBlobs) {
      await mkdir(path.join(root, 'shared-blobs'), { recursive: true });
      await mkdir(dataDir);
      await symlink(path.join(root, 'shared-blobs'), path.join(dataDir, 'blobs'));
    }
    const child = await spawnGateway({ ...env, DATA_DIR: dataDir, ...extra });
    all.push(child);
    return child;
  };
  const cluster: Replicas = {
    fake,
    databaseUrl: database.url,
    env,
    all,
    start,
    startMany: (n, extra) => Promise.all(Array.from({ length: n }, () => start(extra))),
    redis: () => {
      const client = new Redis(redisUrl, { lazyConnect: true });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const child of all) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await Promise.all(all.map((child) => child.exited));
      await deleteKeys(redisUrl, prefix);
      await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
      await database.drop();
      await fake.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    const replicas = await cluster.startMany(count);
    return { ...cluster, replicas };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

/** A database of its own on the test server, so clusters of different test files never meet. */
async function createDatabase(server: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gateway_replicas_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    // parseDatabaseUrl: a URL without a user means the OS account's, as for psql and the gateway.
    const target = parseDatabaseUrl(server);
    const client = new pg.Client({ connectionString: target.kind === 'postgresql' ? target.connectionString : server });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const client = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}
