/** The gateway's own span attributes (beside OpenTelemetry's semantic conventions), under `gateway.`. */
export const GATEWAY_ATTRIBUTES = {
  /** How many prompts one model call carried (n for a packed call). */
  promptsPacked: 'gateway.prompts',
  /** The model call streamed its reply. */
  streamed: 'gateway.streamed',
  /** How a result was served: hit (memory or database), shared (an upstream call already in flight) or miss (asked upstream). */
  cacheResult: 'gateway.cache.result',
  /** The analysis job the work was done for. */
  jobId: 'gateway.job.id',
} as const;

/** The instrumentation scope every gateway span is made under. */
export const TRACER_NAME = 'qwen-vl-gateway';
