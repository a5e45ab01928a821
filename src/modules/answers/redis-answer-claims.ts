import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../platform/logger.js';
import type { RedisConnections } from '../../platform/redis/connection.js';
import { RedisChannel } from '../../platform/redis/channel.js';
import type { AnswerClaims } from './answer-claims.js';

/** A claim's holder died or its call outlived the claim: waiters look again this often. */
const POLL_MS = 1000;

/**
 * How long a claim lives unless its holder renews it (every third of it
 * while the call runs): a killed replica's claims free up within this, not
 * after the longest call a live one may make (QWEN_DEADLINE_MS).
 */
export const CLAIM_LEASE_MS = 10_000;

/** Extends the claim only if this caller still holds it. */
const RENEW = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`;

/** Deletes the claim only if this caller still holds it, then tells the waiters. */
const RELEASE = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
end
redis.call('publish', KEYS[2], ARGV[2])
return 1`;

const RELEASED = 'answer-claim-released';

const DOWN_STATES = new Set(['reconnecting', 'close', 'end']);

/**
 * AnswerClaims in Redis: a claim is `SET <prefix>:answer-claim:<hash> <token> NX PX <lease>`,
 * renewed by its holder while its call runs (for at most `maxHoldMs`, the
 * longest an upstream call may take) and released by it (compare-and-delete,
 * then a message on `<prefix>:answer-claim-released`). A killed replica's
 * claims expire within CLAIM_LEASE_MS. Redis unavailable: every claim is granted, so
 * answers keep coming (single flight is then per replica), and the log says so.
 */
export class RedisAnswerClaims implements AnswerClaims {
  private readonly client: Redis;
  private readonly released: RedisChannel;
  private readonly held = new Map<string, { token: string; renewal: NodeJS.Timeout }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private warned = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly maxHoldMs: number,
    private readonly logger: Logger,
  ) {
    this.client = redis.commands;
    this.released = new RedisChannel(redis, RELEASED, (id) => {
      for (const wake of this.waiters.get(id) ?? []) wake();
    });
  }

  async claim(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) return [];
    if (DOWN_STATES.has(this.client.status)) return this.unchecked(keys, 'not connected');
    const tokens = keys.map(() => randomUUID());
    const pipeline = this.client.pipeline();
    keys.forEach((key, i) => pipeline.set(this.lockOf(key), tokens[i]!, 'PX', CLAIM_LEASE_MS, 'NX'));
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      return this.unchecked(keys, (error as Error).message);
    }
    this.warned = false;
    return keys.map((key, i) => {
      const [error, reply] = replies?.[i] ?? [new Error('no reply'), null];
      if (error) return true;
      if (reply !== 'OK') return false;
      this.hold(key, tokens[i]!);
      return true;
    });
  }

  release(key: string): void {
    const claim = this.held.get(key);
    if (claim === undefined) return;
    clearInterval(claim.renewal);
    this.held.delete(key);
    this.client.eval(RELEASE, 2, this.lockOf(key), this.redis.key(RELEASED), claim.token, idOf(key)).catch((error: unknown) => {
      // Not fatal: the claim expires on its own and waiters poll.
      this.logger.warn({ err: { message: (error as Error).message } }, 'redis: an answer claim could not be released; it expires on its own');
    });
  }

  async settled(key: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const id = idOf(key);
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const waiters = this.waiters.get(id) ?? new Set();
    waiters.add(wake);
    this.waiters.set(id, waiters);
    const onAbort = () => wake();
    signal?.addEventListener('abort', onAbort, { once: true });
    let stop = false;
    // Subscribed before the first look, so a release after it is never missed; an unreachable Redis delays that look by POLL_MS at most.
    const listening = this.released.listen().catch(() => {});
    try {
      const poll = async () => {
        await Promise.race([listening, delay(POLL_MS)]);
        while (!stop) {
          if ((await this.client.exists(this.lockOf(key))) === 0) return;
          await delay(POLL_MS);
        }
      };
      // Either the release message, the claim gone (expired, or released before we subscribed), or the caller leaving.
      await Promise.race([woken, poll()]);
    } catch {
      // Redis went away while waiting: the caller reads the store and asks itself if need be.
    } finally {
      stop = true;
      signal?.removeEventListener('abort', onAbort);
      waiters.delete(wake);
      if (waiters.size === 0 && this.waiters.get(id) === waiters) this.waiters.delete(id);
    }
    signal?.throwIfAborted();
  }

  /** The token of a claim this process holds (it names the claim's stream relay). */
  tokenOf(key: string): string | undefined {
    return this.held.get(key)?.token;
  }

  /** The token of whoever holds the key's claim now, null when nobody does. */
  holderOf(key: string): Promise<string | null> {
    return this.client.get(this.lockOf(key));
  }

  /** Keeps the claim alive while its call runs, up to maxHoldMs; a failed renewal leaves it to expire (waiters then ask). */
  private hold(key: string, token: string): void {
    const until = Date.now() + this.maxHoldMs;
    const renewal = setInterval(() => {
      if (Date.now() > until) return clearInterval(renewal);
      this.client.eval(RENEW, 1, this.lockOf(key), token, CLAIM_LEASE_MS).catch(() => {});
    }, CLAIM_LEASE_MS / 3);
    renewal.unref();
    this.held.set(key, { token, renewal });
  }

  private lockOf(key: string): string {
    return this.redis.key('answer-claim', idOf(key));
  }

  private unchecked(keys: readonly string[], reason: string): boolean[] {
    if (!this.warned) {
      this.warned = true;
      this.logger.warn({ reason }, 'redis is unavailable: identical answers missed on several replicas at once may each be asked upstream until it is back');
    }
    return keys.map(() => true);
  }
}

/** Cache keys hold prompts (up to MAX_QUESTION_LENGTH) and tenants: Redis sees a digest (claims and stream relays alike). */
export function idOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
