import type { ApiKeyService } from './api-key.service.js';
import type { Caller, TokenBudget } from './caller.js';
import type { UsageLimits } from './usage-limits.js';

/**
 * Who pays for model tokens, decided here only: the work of an operation is
 * paid from its caller's daily budget, and a job's work (run later, with no
 * request) from the budget of the key that submitted it, with that key's
 * limits as they are when the work runs.
 */
export class TokenPayer {
  constructor(
    private readonly keys: ApiKeyService,
    private readonly limits: UsageLimits,
  ) {}

  /** The budget an operation's model work is charged to. */
  ofCaller(caller: Caller): TokenBudget {
    return this.limits.budgetFor(caller);
  }

  /** The budget a job's model work is charged to: its submitter's. */
  async ofJob(job: { tenant: string; apiKeyId: string | null }): Promise<TokenBudget> {
    return this.ofCaller(await this.keys.callerForJob(job.tenant, job.apiKeyId));
  }
}
