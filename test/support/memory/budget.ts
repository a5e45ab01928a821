import type { TokenBudget, TokenReservation } from '../../../src/modules/access/caller.js';
import { GatewayError } from '../../../src/platform/errors.js';

/** A token budget that counts in plain numbers, so a test can read what was reserved and settled. */
export class MemoryBudget implements TokenBudget {
  spent = 0;
  readonly apiKeyId = null;
  readonly settled: number[] = [];

  constructor(private readonly tokens = Number.POSITIVE_INFINITY) {}

  async reserve(tokens: number): Promise<TokenReservation> {
    if (this.spent + tokens > this.tokens) throw new GatewayError('RATE_LIMITED', `${tokens} tokens do not fit.`);
    this.spent += tokens;
    return {
      settle: async (billed) => {
        this.spent += billed - tokens;
        this.settled.push(billed);
      },
    };
  }
}
