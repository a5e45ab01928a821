/**
 * 3. Cache hit latency: askQuestion calls, one after another, whose answer is
 * already stored. First from the in-memory layer; then, after restarting the
 * gateway on the same DATA_DIR with ANSWER_CACHE_SIZE=0, from the database
 * only. A plain image(id) query gives the HTTP + GraphQL floor both include.
 */
import { restartBenchGateway, startBenchGateway, uploadFixtures, type BenchGateway } from '../lib/gateway.js';
import type { Fixture } from '../lib/fixtures.js';
import { now, summarize, withTimeout, type LatencySummary } from '../lib/stats.js';

const ASK = 'mutation($imageId: ID!, $question: String!) { askQuestion(imageId: $imageId, question: $question) { answer cached } }';
const IMAGE = 'query($id: ID!) { image(id: $id) { id width height } }';
const QUESTION = 'What colour is the car?';
const WARMUP = 20;

export interface CacheLayerResult {
  calls: number;
  latency: LatencySummary;
  /** Responses with cached: false or an error (should be 0). */
  notCached: number;
  /** Upstream calls made during the measured loop (should be 0). */
  upstreamCalls: number;
}

export interface CacheResult {
  floor: { calls: number; latency: LatencySummary };
  memory: CacheLayerResult;
  database: CacheLayerResult;
}

async function timeCalls(gateway: BenchGateway, calls: number, query: string, variables: Record<string, unknown>, field?: string) {
  const latencies: number[] = [];
  let notCached = 0;
  for (let i = 0; i < WARMUP + calls; i++) {
    const t = now();
    const response = await withTimeout(gateway.client.request(query, variables), 10_000, 'a cache-hit request');
    const elapsed = now() - t;
    if (i < WARMUP) continue;
    latencies.push(elapsed);
    if (field && (response.errors || (response.data?.[field] as { cached?: boolean } | undefined)?.cached !== true)) notCached++;
  }
  return { latencies, notCached };
}

async function layer(gateway: BenchGateway, imageId: string, calls: number): Promise<CacheLayerResult> {
  gateway.harness.fake.reset();
  const { latencies, notCached } = await timeCalls(gateway, calls, ASK, { imageId, question: QUESTION }, 'askQuestion');
  return { calls, latency: summarize(latencies), notCached, upstreamCalls: gateway.harness.fake.requests.length };
}

export async function runCache(image: Fixture, counts: { memory: number; database: number }, log: (line: string) => void): Promise<CacheResult> {
  const gateway = await startBenchGateway();
  try {
    const [uploaded] = await uploadFixtures(gateway, [image]);
    const imageId = uploaded!.id;
    // The one miss: asks upstream and stores the answer.
    const first = await gateway.client.request(ASK, { imageId, question: QUESTION });
    if (first.errors) throw new Error(`the first askQuestion failed: ${JSON.stringify(first.errors)}`);

    log(`  ${counts.database} × image(id) (HTTP + GraphQL floor)…`);
    const floor = await timeCalls(gateway, counts.database, IMAGE, { id: imageId });
    log(`  ${counts.memory} × askQuestion, memory hits…`);
    const memory = await layer(gateway, imageId, counts.memory);

    await restartBenchGateway(gateway, { ANSWER_CACHE_SIZE: '0' });
    log(`  ${counts.database} × askQuestion, database hits (restarted, ANSWER_CACHE_SIZE=0)…`);
    const database = await layer(gateway, imageId, counts.database);
    return { floor: { calls: counts.database, latency: summarize(floor.latencies) }, memory, database };
  } finally {
    await gateway.close();
  }
}
