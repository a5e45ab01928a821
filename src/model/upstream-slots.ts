/**
 * A cap on upstream requests in flight shared by several processes
 * (QWEN_GLOBAL_MAX_CONCURRENCY with REDIS_URL), on top of each process's own
 * QWEN_MAX_CONCURRENCY. `run` waits for a free slot (or `signal`), holds it
 * while `work` runs, and frees it after, whatever the outcome.
 */
export interface UpstreamSlots {
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}
