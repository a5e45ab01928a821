import { LRUCache } from 'lru-cache';
import type { ModelCallError } from '../../model/model-call-error.js';

/**
 * Caption and question keys the provider's own content filter refused
 * (DashScope's data_inspection_failed), kept for MODEL_REFUSAL_TTL_SECONDS:
 * the same image and prompt would be refused again, so within that time a
 * re-ask fails at once with the same MODEL_REJECTED instead of another
 * upstream request. In this process's memory only (each replica learns for
 * itself); a refresh asks anyway.
 */
export class RefusalMemory {
  private readonly refused: LRUCache<string, ModelCallError> | null;

  constructor(ttlSeconds: number, maxEntries = 10_000) {
    this.refused = ttlSeconds > 0 ? new LRUCache({ max: maxEntries, ttl: ttlSeconds * 1000 }) : null;
  }

  remember(key: string, error: ModelCallError): void {
    this.refused?.set(key, error);
  }

  recall(key: string): ModelCallError | undefined {
    return this.refused?.get(key);
  }
}
