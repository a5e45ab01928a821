/**
 * 4. A job: submitAnalysis over N images × 2 prompts (a BRIEF caption and a
 * question) with the fake delayed per call; the time from sending
 * submitAnalysis to receiving jobCompleted over graphql-ws.
 */
import { collect, wsClient } from '../../test/support/client.js';
import { fakeDecodeMs, startBenchGateway, uploadFixtures } from '../lib/gateway.js';
import type { Fixture } from '../lib/fixtures.js';
import { now, round, startEluMeter, withTimeout } from '../lib/stats.js';

const SUBMIT = 'mutation($input: AnalysisInput!) { submitAnalysis(input: $input) { id status total } }';
const COMPLETED = 'subscription($id: ID!) { jobCompleted(id: $id) { id status total done failed createdAt startedAt finishedAt } }';

interface JobState {
  id: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobResult {
  images: number;
  promptsPerImage: number;
  items: number;
  delayMs: number;
  maxConcurrency: number;
  status: string;
  done: number;
  failed: number;
  upstreamCalls: number;
  maxUpstreamInFlight: number;
  /** submitAnalysis request sent → its response. */
  submitMs: number;
  /** submitAnalysis request sent → jobCompleted event received. */
  submitToCompletedMs: number;
  /** finishedAt − createdAt as the gateway stored them. */
  serverRunMs: number | null;
  /** ceil(images / concurrency) × delay. */
  idealMs: number;
  itemsPerSecond: number;
  eventLoopUtilization: number;
  /** The fake endpoint's own image decode per call (same function, measured apart), in ms. */
  fakeDecodeMsPerCall: number;
}

export async function runJob(images: Fixture[], options: { delayMs: number; maxConcurrency: number }, log: (line: string) => void): Promise<JobResult> {
  const gateway = await startBenchGateway({ QWEN_MAX_CONCURRENCY: String(options.maxConcurrency) });
  const ws = wsClient(gateway.url);
  try {
    const uploaded = await uploadFixtures(gateway, images);
    gateway.harness.fake.setDelay(options.delayMs);
    gateway.harness.fake.reset();
    log(`  submitAnalysis: ${uploaded.length} images × 2 prompts (fake delay ${options.delayMs} ms)…`);
    const elu = startEluMeter();
    const started = now();
    const submitted = await gateway.client.request<{ submitAnalysis: { id: string; total: number } }>(SUBMIT, {
      input: { imageIds: uploaded.map((i) => i.id), captionStyles: ['BRIEF'], questions: ['What colour is the car?'] },
    });
    const submitMs = now() - started;
    const job = submitted.data?.submitAnalysis;
    if (!job) throw new Error(`submitAnalysis failed: ${JSON.stringify(submitted.errors)}`);
    const events = await withTimeout(collect<{ jobCompleted: JobState }>(ws, COMPLETED, { id: job.id }), 120_000, 'the job');
    const elapsed = now() - started;
    const eventLoopUtilization = elu();
    const final = events.at(-1)?.data?.jobCompleted;
    if (!final) throw new Error(`jobCompleted sent no state: ${JSON.stringify(events)}`);
    const serverRunMs = final.finishedAt ? Date.parse(final.finishedAt) - Date.parse(final.createdAt) : null;
    return {
      images: uploaded.length,
      promptsPerImage: 2,
      items: final.total,
      delayMs: options.delayMs,
      maxConcurrency: options.maxConcurrency,
      status: final.status,
      done: final.done,
      failed: final.failed,
      upstreamCalls: gateway.harness.fake.requests.length,
      maxUpstreamInFlight: gateway.harness.fake.stats.maxInFlight,
      submitMs: Math.round(submitMs),
      submitToCompletedMs: Math.round(elapsed),
      serverRunMs,
      idealMs: Math.ceil(uploaded.length / options.maxConcurrency) * options.delayMs,
      itemsPerSecond: round(final.total / (elapsed / 1000), 1),
      eventLoopUtilization,
      fakeDecodeMsPerCall: await fakeDecodeMs(images[0]!),
    };
  } finally {
    await ws.dispose();
    await gateway.close();
  }
}
