import type { AnswerClaims } from '../answers/answer-claims.js';

/** What claiming one key across replicas came to. */
export type KeyClaim<R> =
  /** This replica asks (it holds the claim when there are claims): release it once the row is stored or the call failed. */
  | { held: true }
  /** Another replica stored the row between the first lookup and the claim: serve it (the claim is released again). */
  | { held: false; stored: R }
  /** Another replica is asking: wait for its claim to settle (or follow its stream), then read what it stored. */
  | { held: false; stored: undefined };

/**
 * REDIS_URL: claims one key of keyed work across replicas, for serveKeyed
 * (keyed-work.ts), as AnswerService claims its batches.
 * Without claims (the embedded default) this replica always asks: the
 * engine's in-flight table already shares work within the process.
 */
export async function claimKey<R>(claims: AnswerClaims | undefined, key: string, storedNow: () => Promise<R | undefined>): Promise<KeyClaim<R>> {
  if (!claims) return { held: true };
  const [claimed] = await claims.claim([key]);
  if (!claimed) return { held: false, stored: undefined };
  // Claimed here: the row may have been stored between the caller's first lookup and the claim.
  const stored = await storedNow();
  if (stored === undefined) return { held: true };
  claims.release(key);
  return { held: false, stored };
}
