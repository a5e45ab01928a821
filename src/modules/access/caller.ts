/** Who is asking: every row they can see belongs to `tenant`; limits come from their key. */
export interface Caller {
  tenant: string;
  /** null when the gateway runs open (no key exists yet). */
  apiKeyId: string | null;
  requestsPerMinute: number;
  tokensPerDay: number;
  /** An admin key (`keys create --admin`): may read every tenant's usage. */
  admin: boolean;
}

/** The single tenant of a gateway that has no keys yet. */
export const OPEN_TENANT = 'default';

/**
 * Token spending for one caller, reserved before each upstream call and
 * settled after it, so concurrent calls cannot together spend more than is
 * left: each must fit beside what the others have reserved.
 */
export interface TokenBudget {
  /** The key whose budget this is (null when the gateway runs open): the work it pays for is recorded as that key's. */
  readonly apiKeyId: string | null;
  /** Sets `tokens` aside; throws RATE_LIMITED (retryAfter: seconds to the budget's reset) when they do not fit in what is left. */
  reserve(tokens: number): Promise<TokenReservation>;
}

export interface TokenReservation {
  /** Replaces the reservation by what the endpoint billed: 0 releases it (failed calls are never billed). Call once. */
  settle(billedTokens: number): Promise<void>;
}

/** Gives unused tokens back, keeping `owed` (work cut short). Should that fail, they stay counted: the budget errs on the side of spending less. */
export function releaseReservation(reservation: TokenReservation, owed = 0): Promise<void> {
  return reservation.settle(owed).catch(() => {});
}
