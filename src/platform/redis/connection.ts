import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';

/** REDIS_URL and REDIS_PREFIX (config.redis). */
export interface RedisSettings {
  url: string;
  /** Starts every key and channel this gateway uses: replicas of one deployment share it, test runs each get their own. */
  prefix: string;
}

/**
 * What a connection is for, which decides how it behaves while Redis is down:
 * - `commands`: the shared connection for short commands (limits, locks, publish). A command fails after one
 *   reconnect attempt instead of waiting for Redis to return, so callers can fall back or answer with a clear error.
 * - `subscriber`: pub/sub; RedisChannel restores its subscription on reconnect itself (ioredis'
 *   own autoResubscribe is off: its SUBSCRIBE promise has no handler, so a connection closed while
 *   it was pending, e.g. at shutdown right after an outage, was an unhandled rejection).
 * - `worker`: BullMQ (queues and workers retry their own commands; BullMQ requires maxRetriesPerRequest null).
 */
export type RedisRole = 'commands' | 'subscriber' | 'worker';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  commands: { maxRetriesPerRequest: 1 },
  subscriber: { maxRetriesPerRequest: null, autoResubscribe: false },
  worker: { maxRetriesPerRequest: null },
};

/**
 * The gateway's Redis connections, made in one place: lazily connected (the
 * first command connects, so building the app needs no Redis), reconnecting
 * for ever with a capped backoff, and logging each outage once when it starts
 * and once when it ends, whichever connection notices. Subscribers and BullMQ
 * need sockets of their own (a subscribed or blocked socket runs no other
 * commands); everything else shares `commands`.
 */
export class RedisConnections {
  readonly prefix: string;
  private shared: Redis | undefined;
  private readonly opened = new Set<Redis>();
  private down = false;

  constructor(
    private readonly settings: RedisSettings,
    private readonly logger: Logger,
  ) {
    this.prefix = settings.prefix;
  }

  /** True from a connection's first error until one is ready again. */
  get unreachable(): boolean {
    return this.down;
  }

  /** The shared connection for ordinary commands. */
  get commands(): Redis {
    this.shared ??= this.open('commands', 'commands');
    return this.shared;
  }

  /** A connection of its own; closed by `close()`. */
  open(name: string, role: RedisRole): Redis {
    const connection = new Redis(this.settings.url, {
      ...ROLE_OPTIONS[role],
      lazyConnect: true,
      // Shown by CLIENT LIST, which tells replicas' connections apart; Redis refuses names with spaces.
      connectionName: `${this.prefix}:${name}`.replace(/\s+/g, '-'),
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    connection.on('error', (error: Error) => this.noteDown(name, error));
    connection.on('ready', () => this.noteUp(name));
    this.opened.add(connection);
    return connection;
  }

  /** Stops tracking a connection its owner has closed (a short-lived one). */
  forget(connection: Redis): void {
    this.opened.delete(connection);
  }

  /** A key or channel name under the prefix: key('jobs', 'cancel') → '<prefix>:jobs:cancel'. */
  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /** For /readyz: Redis answers a PING on the shared connection. */
  async check(): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await this.commands.ping();
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `redis unreachable: ${(error as Error).message}` };
    }
  }

  /** Closes every connection (QUIT, or a disconnect when Redis is not reachable). */
  async close(): Promise<void> {
    await Promise.all(
      [...this.opened].map(async (connection) => {
        if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
        else connection.disconnect();
      }),
    );
    this.opened.clear();
    this.shared = undefined;
  }

  private noteDown(name: string, error: Error): void {
    if (this.down) return;
    this.down = true;
    this.logger.error({ connection: name, err: { message: error.message } }, 'redis is unreachable: queued jobs, job events, limits and locks wait for it; retrying');
  }

  private noteUp(name: string): void {
    if (!this.down) return;
    this.down = false;
    this.logger.info({ connection: name }, 'redis is reachable again');
  }
}
