import { Router } from 'express';
import type { Logger } from '../logger.js';

export interface Readiness {
  ok: boolean;
  /** Why not ready, for the operator (e.g. "database unreachable", "migrations not applied: …", "storage full or failing (ENOSPC) since …"). */
  reason?: string;
  /** Each dependency checked, by name (database, storage, redis, s3): "ok" or why not. */
  checks?: Record<string, string>;
}

/**
 * Runs every dependency's check at once: ready when all are; the reason
 * names each one that is not (e.g. "redis: redis unreachable: …").
 */
export async function readinessOf(checks: Record<string, () => Promise<Readiness>>): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, Readiness]> => {
      try {
        return [name, await check()];
      } catch (error) {
        return [name, { ok: false, reason: (error as Error).message }];
      }
    }),
  );
  const failed = results.filter(([, result]) => !result.ok);
  return {
    ok: failed.length === 0,
    ...(failed.length > 0 && { reason: failed.map(([name, result]) => `${name}: ${result.reason ?? 'not ready'}`).join('; ') }),
    checks: Object.fromEntries(results.map(([name, result]) => [name, result.ok ? 'ok' : (result.reason ?? 'not ready')])),
  };
}

export interface HealthOptions {
  /** Storage writable, database reachable and migrations applied, Redis and S3 reachable when configured. */
  ready(): Promise<Readiness>;
  /** True once shutdown began: load balancers should stop sending traffic. */
  stopping(): boolean;
  logger: Logger;
  /** A probe that hangs is a failed probe. */
  timeoutMs?: number;
}

/**
 * GET /healthz: the process is up (200 {status:"ok"}), nothing else checked,
 * so a slow database never gets the process restarted.
 * GET /readyz: 200 {status:"ready", checks} when it can serve; else 503
 * {status:"unavailable", reason, checks}; `checks` names each configured
 * dependency with "ok" or what is wrong with it.
 */
export function healthRoutes(options: HealthOptions): Router {
  const timeoutMs = options.timeoutMs ?? 5000;
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const readiness = options.stopping() ? { ok: false, reason: 'shutting down' } : await checkReady(options, timeoutMs);
    res.setHeader('Cache-Control', 'no-store');
    const checks = readiness.checks && { checks: readiness.checks };
    if (readiness.ok) {
      res.json({ status: 'ready', ...checks });
    } else {
      res.status(503).json({ status: 'unavailable', reason: readiness.reason ?? 'not ready', ...checks });
    }
  });
  return router;
}

async function checkReady(options: HealthOptions, timeoutMs: number): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `readiness check took longer than ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([options.ready(), timeout]);
  } catch (error) {
    options.logger.warn({ err: error }, 'readiness check failed');
    return { ok: false, reason: 'readiness check failed' };
  } finally {
    clearTimeout(timer);
  }
}
