import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GatewayError } from '../../errors.js';
import type { Caller, TokenBudget } from './caller.js';

const MINUTE = 60;
const DAY = 24 * 60 * 60;

function rateLimited(what: string, res: RateLimiterRes): GatewayError {
  const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new GatewayError('RATE_LIMITED', `${what} Retry in ${retryAfter} s.`, { extensions: { retryAfter } });
}

/**
 * Requests per minute and upstream tokens per day, per API key (or for the
 * open tenant). rate-limiter-flexible keeps the counters; its Redis limiter
 * has the same interface, for several gateway processes.
 */
export class UsageLimits {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  /** Counts one request; throws RATE_LIMITED past the caller's per-minute limit. */
  async admitRequest(caller: Caller): Promise<void> {
    try {
      await this.limiter(caller.requestsPerMinute, MINUTE).consume(subject(caller));
    } catch (error) {
      if (error instanceof RateLimiterRes) throw rateLimited(`This key may make ${caller.requestsPerMinute} requests per minute.`, error);
      throw error;
    }
  }

  budgetFor(caller: Caller): TokenBudget {
    const limiter = this.limiter(caller.tokensPerDay, DAY);
    const key = subject(caller);
    return {
      assertAvailable: async () => {
        const used = await limiter.get(key);
        if (used && used.remainingPoints <= 0) throw rateLimited(`This key's budget of ${caller.tokensPerDay} model tokens per day is spent.`, used);
      },
      charge: async (tokens) => {
        if (tokens > 0) await limiter.penalty(key, tokens);
      },
    };
  }

  private limiter(points: number, duration: number): RateLimiterAbstract {
    const id = `${points}/${duration}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points, duration, keyPrefix: id });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}

function subject(caller: Caller): string {
  return caller.apiKeyId ?? `open:${caller.tenant}`;
}
