/** Who is asking: every row they can see belongs to `tenant`; limits come from their key. */
export interface Caller {
  tenant: string;
  /** null when the gateway runs open (no key exists yet). */
  apiKeyId: string | null;
  requestsPerMinute: number;
  tokensPerDay: number;
}

/** The single tenant of a gateway that has no keys yet. */
export const OPEN_TENANT = 'default';

/** Token spending for one caller, checked before upstream calls and charged after successful ones. */
export interface TokenBudget {
  /** Throws RATE_LIMITED (with retryAfter) when nothing is left for today. */
  assertAvailable(): Promise<void>;
  charge(tokens: number): Promise<void>;
}
