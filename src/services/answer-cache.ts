import { LRUCache } from 'lru-cache';
import { answerKey, type AnswerRecord } from '../storage/answer-repository.js';

/** The contract's cache key: (image sha256, normalized prompt, model), as the store keys answers. */
export const cacheKey = answerKey;

/**
 * The bounded in-memory layer in front of the stored answers, plus the
 * single-flight table: while one upstream call for a key is under way, every
 * other request for that key (in any GraphQL request) waits for it instead of
 * paying again.
 */
export class AnswerCache {
  private readonly memory: LRUCache<string, AnswerRecord> | null;
  private readonly inFlight = new Map<string, Promise<AnswerRecord>>();

  constructor(maxEntries: number) {
    this.memory = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : null;
  }

  get(key: string): AnswerRecord | undefined {
    return this.memory?.get(key);
  }

  set(key: string, record: AnswerRecord): void {
    this.memory?.set(key, record);
  }

  pending(key: string): Promise<AnswerRecord> | undefined {
    return this.inFlight.get(key);
  }

  /** Registers work for a key; the entry disappears when it settles, success or not (failures are never cached). */
  track(key: string, work: Promise<AnswerRecord>): void {
    this.inFlight.set(key, work);
    const clear = () => {
      if (this.inFlight.get(key) === work) this.inFlight.delete(key);
    };
    work.then(clear, clear);
  }
}
