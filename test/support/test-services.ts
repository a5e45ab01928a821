/**
 * Vitest global setup: finds the outside services the tests use, once per run, by a connect attempt
 * (not a hook timeout), and hands the result to every test file (`inject('services')`, read through
 * test/support/services.ts) and to the closing summary.
 *
 * - PostgreSQL (TEST_POSTGRES_URL, default postgres://127.0.0.1:5432/test): when no server answers,
 *   the PostgreSQL tests run on PGlite in this process instead (test/support/embedded-postgres.ts);
 *   only the scale-out tests need a real server.
 * - Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379), Chromium (CHROMIUM_PATH, else PATH) and
 *   a tmpfs mount (root): without them their tests are left out.
 *
 * Each group left out is named here and again in the summary, with the reason and how to bring it
 * back. Under CI=true nothing may be left out: a missing service fails the run before any test.
 */
import { connect } from 'node:net';
import type { TestProject } from 'vitest/node';
import { findChromium } from './chromium-path.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { describeLeftOut, describeServices, type LeftOut, type TestServices } from './left-out.js';
import { mountTmpfs } from './tmpfs.js';

const DEFAULT_POSTGRES_URL = 'postgres://127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** A refused local port answers at once; this only bounds a host that drops packets. */
const CONNECT_TIMEOUT_MS = 2000;
const POSTGRES_GROUP = 'PostgreSQL suites (in postgres, migrations, usage, deletion, lists-export, stored-results-filter, gateway-settings)';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  const ci = Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';
  const postgresUrl = env.TEST_POSTGRES_URL ?? DEFAULT_POSTGRES_URL;
  const redisUrl = env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL;
  const [postgresServer, redisUp, tmpfsProblem] = await Promise.all([
    postgresUrl !== 'off' && answers(postgresUrl, 5432),
    redisUrl !== 'off' && answers(redisUrl, 6379),
    canMountTmpfs(),
  ]);
  const chromiumPath = env.E2E === 'off' ? undefined : findChromium(env);

  const leftOut: LeftOut[] = [];
  const notes: string[] = [];
  let embedded: EmbeddedPostgres | undefined;
  let postgres: TestServices['postgres'];
  if (postgresServer) postgres = { url: postgresUrl, embedded: false };
  else if (postgresUrl === 'off') {
    leftOut.push({ group: POSTGRES_GROUP, reason: 'TEST_POSTGRES_URL=off', enable: 'unset it (PGlite stands in when no server answers)' });
  } else if (ci) {
    leftOut.push({ group: POSTGRES_GROUP, reason: `no PostgreSQL server answers at ${hostPort(postgresUrl, 5432)}`, enable: 'start PostgreSQL, or set TEST_POSTGRES_URL' });
  } else {
    embedded = await startEmbeddedPostgres();
    postgres = { url: embedded.url, embedded: true };
    notes.push(`PostgreSQL: no server answers at ${hostPort(postgresUrl, 5432)}, so the PostgreSQL tests run on PGlite (embedded, in memory) — start PostgreSQL or set TEST_POSTGRES_URL to run them on a server`);
    leftOut.push({ group: 'Statement-timeout test (stored-results-filter)', reason: "it waits on another session's table lock, and PGlite has one session", enable: 'start PostgreSQL, or set TEST_POSTGRES_URL' });
  }

  const redisMissing = redisUrl === 'off' ? 'TEST_REDIS_URL=off' : redisUp ? undefined : `Redis is not reachable at ${hostPort(redisUrl, 6379)}`;
  const redisEnable = redisUrl === 'off' ? 'unset TEST_REDIS_URL' : 'start redis-server, or set TEST_REDIS_URL';
  if (redisMissing) leftOut.push({ group: 'Redis tests (redis-job-events)', reason: redisMissing, enable: redisEnable });
  const scaleOut: Omit<LeftOut, 'group'>[] = [];
  if (redisMissing) scaleOut.push({ reason: redisMissing, enable: redisEnable });
  if (!postgresServer) {
    scaleOut.push(
      postgresUrl === 'off'
        ? { reason: 'TEST_POSTGRES_URL=off', enable: 'unset TEST_POSTGRES_URL and start PostgreSQL' }
        : { reason: `they need a PostgreSQL server and none answers at ${hostPort(postgresUrl, 5432)} (PGlite cannot stand in: one session, no CREATE DATABASE)`, enable: 'start PostgreSQL, or set TEST_POSTGRES_URL' },
    );
  }
  if (scaleOut.length > 0) {
    leftOut.push({ group: 'Scale-out tests (replicas-*)', reason: scaleOut.map((p) => p.reason).join('; '), enable: scaleOut.map((p) => p.enable).join('; ') });
  }

  if (!chromiumPath) {
    leftOut.push(
      env.E2E === 'off'
        ? { group: 'Browser tests (test/e2e)', reason: 'E2E=off', enable: 'unset E2E' }
        : env.CHROMIUM_PATH
          ? { group: 'Browser tests (test/e2e)', reason: `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable`, enable: 'point CHROMIUM_PATH at Chromium, or unset it to use the one on PATH' }
          : { group: 'Browser tests (test/e2e)', reason: 'no chromium or chromium-browser on PATH', enable: 'install Chromium (apt-get install -y chromium), or set CHROMIUM_PATH' },
    );
  }
  if (tmpfsProblem) leftOut.push({ group: 'Full-disk test (storage-full)', reason: tmpfsProblem, enable: 'run the tests as root (mounting a tmpfs needs CAP_SYS_ADMIN)' });

  if (ci && leftOut.length > 0) {
    await embedded?.close();
    throw new Error(`CI=true: every test must run, but:\n${leftOut.map(describeLeftOut).join('\n')}`);
  }
  const services: TestServices = { postgres, redisUrl: redisMissing ? undefined : redisUrl, chromiumPath, leftOut, notes };
  project.provide('services', services);
  for (const line of describeServices(services)) console.log(line);
  return async () => {
    await embedded?.close();
  };
}

function hostPort(url: string, defaultPort: number): string {
  const { hostname, port } = new URL(url);
  return `${hostname || 'localhost'}:${port || defaultPort}`;
}

/** Whether something accepts a TCP connection at the URL's host and port. */
function answers(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || 'localhost', port: Number(port || defaultPort), timeout: CONNECT_TIMEOUT_MS });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Undefined when a tmpfs mounts here (the full-disk test needs one), else why not. */
async function canMountTmpfs(): Promise<string | undefined> {
  const tmpfs = await mountTmpfs(64 * 1024);
  if (typeof tmpfs === 'string') return tmpfs;
  await tmpfs.unmount();
  return undefined;
}
