/** Small measuring helpers: percentiles, timers, a memory sampler and a forced GC. */
import v8 from 'node:v8';
import vm from 'node:vm';

export const now = () => performance.now();

export const round = (value: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export const MB = 1024 * 1024;
export const toMB = (bytes: number) => round(bytes / MB, 1);

/** Nearest-rank percentile of unsorted samples (p in 0–100). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface LatencySummary {
  count: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const mean = samples.reduce((sum, x) => sum + x, 0) / Math.max(1, samples.length);
  return {
    count: samples.length,
    minMs: round(Math.min(...samples), 2),
    p50Ms: round(percentile(samples, 50), 2),
    p95Ms: round(percentile(samples, 95), 2),
    p99Ms: round(percentile(samples, 99), 2),
    maxMs: round(Math.max(...samples), 2),
    meanMs: round(mean, 2),
  };
}

let gcFn: (() => void) | null | undefined;

/**
 * A full GC, so a baseline is not inflated by garbage from the previous step.
 * `npm run bench` runs plain `tsx` (no --expose-gc), so the flag is set at run time.
 */
export function forceGc(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface MemoryPeaks {
  samples: number;
  intervalMs: number;
  baseline: { rssMB: number; heapUsedMB: number; externalMB: number; arrayBuffersMB: number };
  /** Highest value seen minus the baseline. */
  peakDelta: { rssMB: number; heapUsedMB: number; externalMB: number; arrayBuffersMB: number };
  /** After the step, a GC and a short pause, minus the baseline (what stayed). */
  residualRssMB: number;
  /** Largest gap between two samples: a long gap means the event loop was busy and a peak may have been missed. */
  maxSampleGapMs: number;
}

/** Samples process.memoryUsage() every `intervalMs` until stop(). */
export function startMemorySampler(intervalMs = 20) {
  const base = process.memoryUsage();
  const peak = { ...base };
  let samples = 0;
  let last = now();
  let maxGap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    samples++;
    const t = now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    async stop(): Promise<MemoryPeaks> {
      sample();
      clearInterval(timer);
      forceGc();
      await sleep(100);
      const after = process.memoryUsage();
      return {
        samples,
        intervalMs,
        baseline: { rssMB: toMB(base.rss), heapUsedMB: toMB(base.heapUsed), externalMB: toMB(base.external), arrayBuffersMB: toMB(base.arrayBuffers) },
        peakDelta: {
          rssMB: toMB(peak.rss - base.rss),
          heapUsedMB: toMB(peak.heapUsed - base.heapUsed),
          externalMB: toMB(peak.external - base.external),
          arrayBuffersMB: toMB(peak.arrayBuffers - base.arrayBuffers),
        },
        residualRssMB: toMB(after.rss - base.rss),
        maxSampleGapMs: round(maxGap, 0),
      };
    },
  };
}

/** Runs `work` over `items` with at most `concurrency` at once; the loop ends when the items do. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Rejects after `ms` with a message naming what timed out. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Event-loop utilization over a step: near 1 means this process's one JS thread (gateway, fake and client) was the bottleneck. */
export function startEluMeter() {
  const start = performance.eventLoopUtilization();
  return () => round(performance.eventLoopUtilization(start).utilization, 2);
}
