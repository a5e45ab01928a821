/** HTTP load and latency measurements of a GraphQL endpoint (autocannon, and one-at-a-time fetches). */
import autocannon from 'autocannon';
import { now, round, summarize, withTimeout, type LatencySummary } from './stats.js';

export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Non-2xx, connection errors, timeouts and bodies other than the expected one: should all be 0. */
  failures: number;
}

export interface GraphQLPost {
  url: string;
  body: string;
  headers?: Record<string, string>;
}

/** POSTs the body once and returns the response text, failing on a non-200 or a GraphQL error. */
export async function postOnce(post: GraphQLPost): Promise<string> {
  const response = await fetch(post.url, { method: 'POST', headers: { 'content-type': 'application/json', ...post.headers }, body: post.body });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) throw new Error(`${post.url} answered ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/**
 * `connections` clients sending the same POST back to back for `seconds`.
 * Every response must be exactly `expectBody` (checked by autocannon).
 */
export async function load(post: GraphQLPost, options: { connections: number; seconds: number; expectBody: string }): Promise<LoadResult> {
  const result = await withTimeout(
    autocannon({
      url: post.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...post.headers },
      body: post.body,
      connections: options.connections,
      duration: options.seconds,
      expectBody: options.expectBody,
    }),
    (options.seconds + 30) * 1000,
    `autocannon against ${post.url}`,
  );
  return {
    requestsPerSecond: round(result.requests.total / result.duration, 0),
    requests: result.requests.total,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts + result.mismatches,
  };
}

/** One request at a time: the latency a single client sees. */
export async function sequentialLatency(post: GraphQLPost, calls: number): Promise<LatencySummary> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = now();
    await withTimeout(postOnce(post), 10_000, `a request to ${post.url}`);
    samples.push(now() - started);
  }
  return summarize(samples);
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
