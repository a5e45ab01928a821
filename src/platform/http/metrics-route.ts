import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export interface MetricsRouteOptions {
  metrics: Metrics;
  /** Jobs per status, read from the database at each scrape; every status is present, 0 when no job has it. */
  jobCounts(): Promise<Record<string, number>>;
  logger: Logger;
}

/** GET /metrics: the app's registry in the Prometheus text format, the jobs gauge refreshed first. */
export function metricsRoute(options: MetricsRouteOptions): RequestHandler {
  const { metrics } = options;
  return async (_req, res) => {
    try {
      const counts = await options.jobCounts();
      metrics.jobs.reset();
      for (const [status, count] of Object.entries(counts)) metrics.jobs.set({ status }, count);
    } catch (error) {
      // Serve the rest; a stale gauge would lie, so drop it.
      metrics.jobs.reset();
      options.logger.warn({ err: error }, 'could not count jobs for /metrics');
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await metrics.registry.metrics());
  };
}
