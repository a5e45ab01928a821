/**
 * Single flight across replicas (REDIS_URL): before a replica asks upstream
 * for a cache key it claims the key; another replica missing the same key
 * finds it claimed, waits until the claim is settled and then reads the
 * stored row instead of paying again. Within one process the engine's
 * in-flight table (engine/flights.ts) does the same job, so the embedded
 * default has no claims.
 */
export interface AnswerClaims {
  /** For each key, in order: true when this caller now holds its claim (or claims cannot be checked: then it asks itself). */
  claim(keys: readonly string[]): Promise<boolean[]>;
  /** Ends this caller's claim and wakes every replica waiting on it; the answer (if any) is stored by then. */
  release(key: string): void;
  /** Resolves once the key's claim is released or has expired (its holder died), or `signal` fires. */
  settled(key: string, signal?: AbortSignal): Promise<void>;
}
