import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GatewayError } from '../../platform/errors.js';
import type { Caller, TokenBudget } from './caller.js';

const MINUTE = 60;
const DAY = 24 * 60 * 60;

function rateLimited(what: string, res: RateLimiterRes): GatewayError {
  const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new GatewayError('RATE_LIMITED', `${what} Retry in ${retryAfter} s.`, { extensions: { retryAfter } });
}

/** Makes the counter for one limit: `points` per `duration` seconds, its keys under `keyPrefix`. */
export type LimiterStore = (points: number, duration: number, keyPrefix: string) => RateLimiterAbstract;

/** The embedded default: counters in this process (they restart with it). */
export const memoryLimiters: LimiterStore = (points, duration, keyPrefix) => new RateLimiterMemory({ points, duration, keyPrefix });

/**
 * Requests per minute and upstream tokens per day, per API key (or for the
 * open tenant). rate-limiter-flexible keeps the counters: in this process by
 * default, in Redis with REDIS_URL (redis-limiters.ts), so that every replica
 * counts against one limit and a restart resets nothing.
 */
export class UsageLimits {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(private readonly store: LimiterStore = memoryLimiters) {}

  /** Counts one request; throws RATE_LIMITED past the caller's per-minute limit. */
  async admitRequest(caller: Caller): Promise<void> {
    try {
      await this.limiter(caller.requestsPerMinute, MINUTE).consume(subject(caller));
    } catch (error) {
      if (error instanceof RateLimiterRes) throw rateLimited(`This key may make ${caller.requestsPerMinute} requests per minute.`, error);
      throw error;
    }
  }

  /**
   * The caller's tokens for today. A reservation is taken atomically with
   * the limiter's own increment (so concurrent ones see each other) and given
   * back at once when it does not fit; settling moves the count to what the
   * endpoint billed.
   */
  budgetFor(caller: Caller): TokenBudget {
    const limiter = this.limiter(caller.tokensPerDay, DAY);
    const key = subject(caller);
    const adjust = async (tokens: number) => {
      if (tokens > 0) await limiter.penalty(key, tokens);
      else if (tokens < 0) await limiter.reward(key, -tokens);
    };
    return {
      apiKeyId: caller.apiKeyId,
      reserve: async (tokens) => {
        try {
          await limiter.consume(key, tokens);
        } catch (error) {
          if (!(error instanceof RateLimiterRes)) throw error;
          await limiter.reward(key, tokens);
          throw rateLimited(budgetRefusal(caller.tokensPerDay, tokens, caller.tokensPerDay - (error.consumedPoints - tokens)), error);
        }
        return { settle: (billed) => adjust(billed - tokens) };
      },
    };
  }

  private limiter(points: number, duration: number): RateLimiterAbstract {
    const id = `${points}/${duration}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.store(points, duration, id);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

function budgetRefusal(perDay: number, needed: number, left: number): string {
  if (needed > perDay) {
    return `This work needs an estimated ${needed} model tokens, more than this key's whole budget of ${perDay} per day: ask fewer questions per image, or use a key with a larger budget (keys create --tokens-per-day).`;
  }
  return `This key's budget of ${perDay} model tokens per day has ${Math.max(0, left)} left, and this work needs an estimated ${needed}.`;
}

function subject(caller: Caller): string {
  return caller.apiKeyId ?? `open:${caller.tenant}`;
}
