import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../platform/logger.js';
import type { RedisConnections } from '../../platform/redis/connection.js';
import { idOf, type RedisAnswerClaims } from './redis-answer-claims.js';
import type { RelayedStream, RelayEvent, StreamRelay } from './stream-relay.js';

/** A relay's keys live this long after their last write, for followers that arrive as it ends. */
const KEEP_MS = 30_000;
/** Followers block this long per read before looking whether the claim is still held. */
const BLOCK_MS = 1_000;
/** How often an owner whose own subscribers left looks whether other replicas still follow. */
const FOLLOWERS_POLL_MS = 500;

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;

/**
 * StreamRelay on Redis Streams, named by the answer claim it belongs to:
 * the claim holder writes `<prefix>:answer-stream:<digest>:<claim token>`
 * (XADD per delta, then an end entry, before it releases the claim); a
 * follower reads the claim's token, then that stream from its first entry
 * with blocking XREADs on a connection of its own, until the end entry or
 * the claim's release (an ask holds claims without streaming; a dead
 * replica's claim expires). Followers count themselves in `…:followers`,
 * which keeps the owner's call going after the owner's own subscribers have
 * left. Writes that fail (Redis down) are logged once; followers then end
 * with the claim and read the store.
 */
export class RedisStreamRelay implements StreamRelay {
  private readonly client: Redis;
  private warned = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly claims: Pick<RedisAnswerClaims, 'tokenOf' | 'holderOf'>,
    private readonly logger: Logger,
  ) {
    this.client = redis.commands;
  }

  publish(key: string): RelayedStream {
    // A claim granted while Redis was unreachable has no token: nobody can follow it, the writes only log.
    const stream = this.streamKey(key, this.claims.tokenOf(key) ?? randomUUID());
    const send = (...fields: string[]) =>
      void this.client.pipeline().xadd(stream, '*', ...fields).pexpire(stream, KEEP_MS).exec().catch((error: unknown) => this.warnOnce(error));
    return {
      write: (delta) => send('d', delta),
      finish: () => send('end', 'stored'),
      fail: (error) => send('end', 'failed', 'code', error.code ?? 'MODEL_UNAVAILABLE', 'message', error.message),
      unfollowed: async () => {
        while (Number(await this.client.get(`${stream}:followers`).catch(() => 0)) > 0) {
          await new Promise((resolve) => setTimeout(resolve, FOLLOWERS_POLL_MS).unref());
        }
      },
    };
  }

  async *follow(key: string, signal: AbortSignal): AsyncGenerator<RelayEvent> {
    const token = await this.claims.holderOf(key).catch(() => null);
    if (!token) {
      yield { end: 'released' };
      return;
    }
    const stream = this.streamKey(key, token);
    const followers = `${stream}:followers`;
    await this.client.pipeline().incr(followers).pexpire(followers, KEEP_MS).exec();
    // A blocked socket runs no other command: each follower reads on its own, closed when it stops.
    const reader = this.redis.open('answer stream follower', 'commands');
    const stop = () => reader.disconnect();
    signal.addEventListener('abort', stop, { once: true });
    let ended = false;
    try {
      let last = '0';
      while (!ended && !signal.aborted) {
        const reply = (await reader.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', stream, last)) as StreamReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0 && (await this.claims.holderOf(key)) !== token) {
          // Released with no end written after our last read (the end is written before the release, so one more read settles it).
          const rest = ((await this.client.xread('COUNT', 100, 'STREAMS', stream, last)) as StreamReply)?.[0]?.[1] ?? [];
          entries.push(...rest);
          if (rest.length === 0) entries.push(['', ['end', 'released']]);
        }
        for (const [entryId, fields] of entries) {
          if (entryId) last = entryId;
          const event = eventOf(fields);
          ended = 'end' in event;
          yield event;
          if (ended) break;
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      signal.removeEventListener('abort', stop);
      reader.disconnect();
      this.redis.forget(reader);
      if (!ended) await this.client.decr(followers).catch(() => undefined);
    }
  }

  private streamKey(key: string, token: string): string {
    return this.redis.key('answer-stream', idOf(key), token);
  }

  private warnOnce(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn({ err: { message: (error as Error).message } }, 'redis: a streamed answer could not be relayed to other replicas; their subscribers wait for the stored answer');
  }
}

/** An entry's fields as an event. */
function eventOf(fields: string[]): RelayEvent {
  const value = (name: string) => fields[fields.indexOf(name) + 1] ?? '';
  if (fields[0] === 'd') return { delta: value('d') };
  const end = value('end');
  if (end === 'failed') return { end: 'failed', code: value('code'), message: value('message') };
  return { end: end === 'stored' ? 'stored' : 'released' };
}
