import { LRUCache } from 'lru-cache';
import { answerKey, type AnswerRecord } from './answer.repository.js';

/**
 * CACHE_SCOPE. `tenant` (the default): a tenant is served only its own
 * answers and waits only on its own upstream calls, so nothing one tenant
 * asked can be learnt by another (each pays once for its own). `global`:
 * identical bytes asked the same thing are paid for once across tenants, at
 * the price that a tenant holding the same bytes can tell (cached: true, no
 * tokens) that someone asked that question before.
 */
export type CacheScope = 'tenant' | 'global';

/**
 * The bounded in-memory layer in front of the stored answers, and the cache
 * key within the scope (calls under way are the engine's: engine/flights.ts).
 */
export class AnswerCache {
  private readonly memory: LRUCache<string, AnswerRecord> | null;

  constructor(
    maxEntries: number,
    readonly scope: CacheScope,
    /** Told when a refresh replaced the key's answer: other replicas must drop their copy (replica-caches.ts). */
    private readonly onReplaced?: (key: string) => void,
  ) {
    this.memory = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : null;
  }

  /** The cache key within the scope: in tenant scope, one tenant's key never equals another's. */
  keyFor(tenant: string, sha256: string, prompt: string, model: string): string {
    const key = answerKey(sha256, prompt, model);
    return this.scope === 'tenant' ? JSON.stringify([tenant, key]) : key;
  }

  /** Whose stored answers may serve `tenant`: its own, or anyone's (null) in global scope. */
  storedAnswersOf(tenant: string): string | null {
    return this.scope === 'tenant' ? tenant : null;
  }

  get(key: string): AnswerRecord | undefined {
    return this.memory?.get(key);
  }

  /** `replaced`: a refresh stored a new answer for the key, so every other copy of it is stale. */
  set(key: string, record: AnswerRecord, replaced = false): void {
    this.memory?.set(key, record);
    if (replaced) this.onReplaced?.(key);
  }

  /** Drops keys whose answer was replaced elsewhere (another replica's refresh): the next read goes to the store. */
  drop(keys: Iterable<string>): void {
    for (const key of keys) this.memory?.delete(key);
  }

  /** Drops every remembered answer `deleted` says was deleted (modules/lifecycle): one pass over at most ANSWER_CACHE_SIZE entries. */
  forget(deleted: (record: AnswerRecord) => boolean): void {
    if (!this.memory) return;
    const keys = [...this.memory.entries()].filter(([, record]) => deleted(record)).map(([key]) => key);
    for (const key of keys) this.memory.delete(key);
  }
}
