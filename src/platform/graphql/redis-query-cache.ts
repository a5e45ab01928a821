import type { Logger } from '../logger.js';
import type { RedisConnections } from '../redis/connection.js';

/**
 * Apollo Server's automatic persisted queries (APQ) on Redis, so a query
 * registered through one replica is known to all of them: the `KeyValueCache`
 * Apollo's `persistedQueries.cache` takes (it prefixes keys with `apq:`).
 * A Redis outage is a cache miss, never a failed request: the client is told
 * PERSISTED_QUERY_NOT_FOUND and sends the document again.
 */
export class RedisQueryCache {
  private warned = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly logger: Logger,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.commands.get(this.redis.key(key))) ?? undefined;
    } catch (error) {
      this.warnOnce(error);
      return undefined;
    }
  }

  /** `ttl` in seconds, as Apollo passes it (persistedQueries.ttl); null or 0: kept until evicted. */
  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = options?.ttl;
    try {
      if (ttl) await this.redis.commands.set(this.redis.key(key), value, 'EX', ttl);
      else await this.redis.commands.set(this.redis.key(key), value);
    } catch (error) {
      this.warnOnce(error);
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.commands.del(this.redis.key(key))) > 0;
    } catch (error) {
      this.warnOnce(error);
      return false;
    }
  }

  private warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn({ err: { message: (error as Error).message } }, 'automatic persisted queries: Redis unreachable, clients resend their documents');
  }
}
