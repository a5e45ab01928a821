import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.js';
import type { RedisConnections } from '../platform/redis/connection.js';
import type { UpstreamSlots } from './upstream-slots.js';

/** A waiting request looks for a free slot this often (with jitter, so waiters do not move in step). */
const POLL_MS = 50;

/**
 * Takes a slot when fewer than ARGV[3] unexpired ones are held. Holders are a
 * sorted set scored by their lease's end on Redis's own clock, so a replica
 * killed while holding slots gives them back when their leases end.
 */
const ACQUIRE = `
local t = redis.call('time')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
if redis.call('zcard', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('zadd', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/**
 * UpstreamSlots in Redis: one sorted set `<prefix>:upstream-slots` for the
 * whole deployment. A slot's lease is the longest one upstream request may
 * take (`leaseMs`). While Redis is unreachable requests go ahead with only
 * the per-replica cap (logged once per outage) rather than stop.
 */
export class RedisUpstreamSlots implements UpstreamSlots {
  private readonly key: string;
  private warned = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly limit: number,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {
    this.key = redis.key('upstream-slots');
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const token = randomUUID();
    const held = await this.acquire(token, signal);
    try {
      return await work();
    } finally {
      if (held) this.redis.commands.zrem(this.key, token).catch(() => {});
    }
  }

  /** True once a slot is held; false when Redis cannot be asked (the request goes ahead). */
  private async acquire(token: string, signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      signal?.throwIfAborted();
      let granted: unknown;
      try {
        granted = await this.redis.commands.eval(ACQUIRE, 1, this.key, token, String(this.leaseMs), String(this.limit));
      } catch (error) {
        if (!this.warned) {
          this.warned = true;
          this.logger.warn({ err: { message: (error as Error).message } }, 'redis is unavailable: QWEN_GLOBAL_MAX_CONCURRENCY is not applied (each replica keeps QWEN_MAX_CONCURRENCY) until it is back');
        }
        return false;
      }
      this.warned = false;
      if (granted === 1) return true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS / 2 + Math.random() * POLL_MS));
    }
  }
}
