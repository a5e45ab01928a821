/**
 * What the services add to traces, through `@opentelemetry/api` alone: a
 * no-op costing next to nothing until tracing registers an SDK (start-tracing.ts).
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { GATEWAY_ATTRIBUTES, TRACER_NAME } from './attributes.js';

export type CacheResult = 'hit' | 'shared' | 'miss';

/** An event on the span of the work asking (a request's, a job's): how one result was served. */
export function traceCacheResult(result: CacheResult): void {
  trace.getActiveSpan()?.addEvent('gateway.answer', { [GATEWAY_ATTRIBUTES.cacheResult]: result });
}

/** Runs a job under a span of its own carrying its id: its model calls become the span's children. */
export function inJobSpan<T>(jobId: string, work: () => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan('job', { attributes: { [GATEWAY_ATTRIBUTES.jobId]: jobId } }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}
