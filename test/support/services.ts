/**
 * The outside services of this run, as test-services.ts (vitest's global setup) found them once:
 * test files read them here instead of probing or reading the environment.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type {} from './left-out.js'; // declares inject('services')

export const services = inject('services');

/** The PostgreSQL URL for this run (a server or PGlite); undefined when the PostgreSQL tests are left out. */
export const PG_URL = services.postgres?.url;
export const postgresMissing = PG_URL === undefined;
/** PGlite, not a server: one session, so nothing can wait on another session's lock. */
export const postgresEmbedded = services.postgres?.embedded === true;

/**
 * A URL for a schema of its own (`<prefix>_<random>`, Prisma's `?schema=`), so test files sharing the
 * server never meet. Without PostgreSQL it names a host that never resolves (.invalid): the suites
 * guarded by `postgresMissing` are still collected, and skipped.
 */
export function postgresSchemaUrl(prefix: string): string {
  const base = PG_URL ?? 'postgres://postgres-left-out.invalid/test';
  return `${base}${base.includes('?') ? '&' : '?'}schema=${prefix}_${randomBytes(4).toString('hex')}`;
}

/** The Redis URL for this run; undefined when the Redis tests are left out. */
export const REDIS_URL = services.redisUrl;
export const redisMissing = REDIS_URL === undefined;

export const chromiumMissing = services.chromiumPath === undefined;
