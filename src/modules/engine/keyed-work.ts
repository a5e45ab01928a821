import { releaseReservation, type TokenReservation } from '../access/caller.js';
import type { AnswerClaims } from '../answers/answer-claims.js';
import { claimKey } from './key-claims.js';

/**
 * One piece of keyed model work as a capability describes it: what differs
 * between a question about several images and a streamed answer. The engine
 * (`serveKeyed`) owns the order these run in, which is the same for every
 * keyed kind and easy to get subtly wrong by hand.
 */
export interface KeyedWork<T> {
  /** The key's claim across replicas (REDIS_URL): a name shared with every kind of work that must wait on the same call. */
  claim: string;
  /** Always ask: no stored row, no work under way and no other replica is waited for. */
  refresh: boolean;
  /** The work under way for the key, now also waited on by this caller; undefined when there is none to join. */
  join(): Promise<T> | undefined;
  /** What is already stored for the key and may be served as it is; undefined on a miss. */
  stored(): Promise<T | undefined>;
  /** Sets the call's estimated tokens aside from the caller's budget (throws when they do not fit). */
  reserve(): Promise<TokenReservation>;
  /** Another replica holds the key's claim and has stored nothing yet: follow it (wait, then read, or ask again). */
  elsewhere(): Promise<T>;
  /** Starts the call with the reservation: registered in the in-flight table by now; `settled` once the row is stored or the call failed. */
  start(reservation: TokenReservation): { result: Promise<T>; settled: Promise<unknown> };
}

/**
 * Serves keyed work: the stored row or work under way, else the tokens
 * reserved, then (someone may have started the same while they were being
 * reserved) work under way once more, then the key claimed across replicas
 * (REDIS_URL; a row stored meanwhile is served, another replica's call is
 * followed), and only then a call of its own. Whatever is not used of the
 * reservation goes back; a claim taken is held until the call settles, so
 * the replicas waiting on it read the stored row. A refresh takes no claim:
 * it never releases another replica's.
 */
export async function serveKeyed<T>(claims: AnswerClaims | undefined, work: KeyedWork<T>): Promise<T> {
  if (!work.refresh) {
    const ready = await (work.join() ?? work.stored());
    if (ready !== undefined) return ready;
  }
  const reservation = await work.reserve();
  const late = work.refresh ? undefined : work.join();
  if (late !== undefined) {
    void releaseReservation(reservation);
    return late;
  }
  const claim = work.refresh ? null : await claimKey(claims, work.claim, () => work.stored());
  if (claim && !claim.held) {
    void releaseReservation(reservation);
    return claim.stored ?? work.elsewhere();
  }
  const { result, settled } = work.start(reservation);
  if (claim && claims) {
    const release = () => claims.release(work.claim);
    settled.then(release, release);
  }
  return result;
}
