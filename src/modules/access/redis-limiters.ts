import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisConnections } from '../../platform/redis/connection.js';
import type { Logger } from '../../platform/logger.js';
import type { LimiterStore } from './usage-limits.js';

/** How often, at most, an outage's fallback is logged again while it lasts. */
const NOTICE_INTERVAL_MS = 60_000;

/**
 * REDIS_URL: request limits and token budgets counted in Redis, so every
 * replica draws on one counter per key and a restart resets nothing.
 * While Redis is not connected, each limiter falls back at once to an in-process
 * counter (rate-limiter-flexible's insurance limiter): requests keep being
 * served, limited per replica, and the log says so. That errs on the side of
 * availability: during an outage a key can spend up to its limit on each replica.
 */
export async function redisLimiters(redis: RedisConnections, logger: Logger): Promise<LimiterStore> {
  const client = redis.commands;
  // Connected before the first request: a limiter sends nothing to a connection that is not ready yet
  // (it counts in-process instead), so the lazy connection would never open. Redis down: ioredis keeps trying.
  if (client.status === 'wait') await client.connect().catch(() => {});
  let noticedAt = -Infinity;
  const notice = () => {
    const now = Date.now();
    if (now - noticedAt < NOTICE_INTERVAL_MS) return;
    noticedAt = now;
    logger.warn('redis is unavailable: request limits and token budgets are counted per replica until it is back');
  };
  return (points, duration, keyPrefix) => {
    return new RateLimiterRedis({
      storeClient: client,
      points,
      duration,
      keyPrefix: redis.key('limits', keyPrefix),
      rejectIfRedisNotReady: true,
      insuranceLimiter: new NoticedMemoryLimiter({ points, duration, keyPrefix }, notice),
    });
  };
}

/** The in-process stand-in used while Redis is down; says so when used. */
class NoticedMemoryLimiter extends RateLimiterMemory {
  constructor(
    options: ConstructorParameters<typeof RateLimiterMemory>[0],
    private readonly notice: () => void,
  ) {
    super(options);
  }

  override consume(...args: Parameters<RateLimiterMemory['consume']>): ReturnType<RateLimiterMemory['consume']> {
    this.notice();
    return super.consume(...args);
  }
}
