/**
 * 8. The OpenAI-compatible door (#29): the latency POST /v1/chat/completions
 * adds over calling the endpoint directly, beside B2 and against the same
 * target. One request at a time, rotating three sides so a slow moment of the
 * machine hits each alike, every question fresh (an upstream call each):
 *
 * - the door: the `openai` SDK pointed at the gateway, the image as a data URL
 *   (stored as an upload on every request, content-addressed: the same row);
 * - B2's askQuestion over GraphQL about the same image, uploaded once;
 * - the same image and question sent by the `openai` SDK straight to the endpoint.
 *
 * The fake endpoint and the gateway are processes of their own, as for B2.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { GraphQLClient } from '../../test/support/client.js';
import { runCli } from '../../test/support/operator-cli.js';
import type { Fixture } from '../lib/fixtures.js';
import type { ServerProcess } from '../lib/processes.js';
import { now, round, summarize, withTimeout, type LatencySummary } from '../lib/stats.js';
import { API_KEY, ASK, MODEL, startEndpointAndGateway, upload } from './peers.js';

export interface OpenAiDoorOptions {
  /** Rotations of the three sides. */
  rounds: number;
  delayMs: number;
}

export interface OpenAiDoorResult {
  delayMs: number;
  rounds: number;
  door: LatencySummary;
  askQuestion: LatencySummary;
  direct: LatencySummary;
  /** door − direct, at p50 and p95 (B2's targets: ≤ 3 ms and ≤ 5 ms). */
  addedP50Ms: number;
  addedP95Ms: number;
  /** askQuestion − direct in the same run (B2's figure, for comparison). */
  askQuestionAddedP50Ms: number;
  /** Door replies that were not fresh (`x-gateway-cache` other than miss), or upstream calls other than one per question (should be 0). */
  anomalies: number;
}

export async function runOpenAiDoor(image: Fixture, options: OpenAiDoorOptions, log: (line: string) => void): Promise<OpenAiDoorResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-bench-openai-'));
  const started: ServerProcess[] = [];
  try {
    log('  starting the fake endpoint and the gateway (processes of their own, NODE_ENV=production)…');
    const { fake, gateway } = await startEndpointAndGateway(dataDir, started);
    // The door takes gateway keys only: one for the run, its limits out of the way as the gateway's are.
    const created = await runCli('keys', ['create', '--tenant', 'bench'], { DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '1000000000', TOKEN_BUDGET_PER_DAY: '1000000000' });
    const key = created.stdout.trim().split('\n').at(-1)!;
    const client = new GraphQLClient(`${gateway.origin}/graphql`, { authorization: `Bearer ${key}` });
    const { id: imageId } = await upload(client, image);
    const dataUrl = `data:image/jpeg;base64,${(await readFile(image.path)).toString('base64')}`;
    const door = new OpenAI({ apiKey: key, baseURL: `${gateway.origin}/v1`, maxRetries: 0 });
    const direct = new OpenAI({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 });
    const messages = (question: string): OpenAI.ChatCompletionMessageParam[] => [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl } }, { type: 'text', text: question }] },
    ];
    // Unmeasured: the first request of each side warms its connection and code paths.
    await door.chat.completions.create({ model: MODEL, messages: messages('Warm-up: what is in the picture?') });
    await direct.chat.completions.create({ model: MODEL, messages: messages('Warm-up: what is in the picture?') });
    await fake.setDelay(options.delayMs);

    const samples = { door: [] as number[], askQuestion: [] as number[], direct: [] as number[] };
    let anomalies = 0;
    const timed = async (side: keyof typeof samples, work: () => Promise<boolean>) => {
      const before = await fake.requestCount();
      const started = now();
      const fresh = await withTimeout(work(), 30_000, side);
      samples[side].push(now() - started);
      if (!fresh || (await fake.requestCount()) !== before + 1) anomalies++;
    };
    const sides = {
      door: (question: string) =>
        timed('door', async () => (await door.chat.completions.create({ model: MODEL, messages: messages(question) }).withResponse()).response.headers.get('x-gateway-cache') === 'miss'),
      askQuestion: (question: string) =>
        timed('askQuestion', async () => (await client.request<{ askQuestion: { cached: boolean } }>(ASK, { imageId, question })).data?.askQuestion.cached === false),
      direct: (question: string) => timed('direct', async () => (await direct.chat.completions.create({ model: MODEL, messages: messages(question) })).choices.length === 1),
    };
    log(`  ${options.rounds} rotations of door, askQuestion and direct call (endpoint delayed ${options.delayMs} ms)…`);
    const order = Object.keys(sides) as Array<keyof typeof sides>;
    for (let r = 0; r < options.rounds; r++) {
      for (let i = 0; i < order.length; i++) {
        const side = order[(r + i) % order.length]!;
        await sides[side](`Fresh question ${r + 1} (${side}): what is in the picture?`);
      }
    }
    const summaries = { door: summarize(samples.door), askQuestion: summarize(samples.askQuestion), direct: summarize(samples.direct) };
    return {
      delayMs: options.delayMs,
      rounds: options.rounds,
      ...summaries,
      addedP50Ms: round(summaries.door.p50Ms - summaries.direct.p50Ms, 2),
      addedP95Ms: round(summaries.door.p95Ms - summaries.direct.p95Ms, 2),
      askQuestionAddedP50Ms: round(summaries.askQuestion.p50Ms - summaries.direct.p50Ms, 2),
      anomalies,
    };
  } finally {
    await Promise.all(started.map((server) => server.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
}

const ms2 = (x: number) => `${x.toFixed(2)} ms`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x)}`;

export function openAiDoorChecks(r: OpenAiDoorResult) {
  return [{ name: 'openai-door: every question was fresh and asked upstream once', ok: r.anomalies === 0, detail: `${r.anomalies} anomalies` }];
}

/** B2's targets, for the door. */
export function openAiDoorTargets(r: OpenAiDoorResult) {
  return [
    { name: 'OpenAI door added latency ≤ 3 ms at p50 (B2\'s target)', ok: r.addedP50Ms <= 3, detail: `${signed(r.addedP50Ms)} ms` },
    { name: 'OpenAI door added latency ≤ 5 ms at p95 (B2\'s target)', ok: r.addedP95Ms <= 5, detail: `${signed(r.addedP95Ms)} ms` },
  ];
}

export function openAiDoorSummary(r: OpenAiDoorResult): string[] {
  return [
    `## 8. The OpenAI-compatible door — fresh questions, endpoint delayed ${r.delayMs} ms, ${r.rounds} rotations, one at a time`,
    '',
    '| side | p50 | p95 | added at p50 |',
    '| --- | --- | --- | --- |',
    `| POST /v1/chat/completions (openai SDK, image as a data URL) | ${ms2(r.door.p50Ms)} | ${ms2(r.door.p95Ms)} | **${signed(r.addedP50Ms)} ms** (p95 ${signed(r.addedP95Ms)} ms) |`,
    `| askQuestion over GraphQL (B2, image uploaded once) | ${ms2(r.askQuestion.p50Ms)} | ${ms2(r.askQuestion.p95Ms)} | ${signed(r.askQuestionAddedP50Ms)} ms |`,
    `| the same request straight to the endpoint (openai SDK) | ${ms2(r.direct.p50Ms)} | ${ms2(r.direct.p95Ms)} | |`,
    '',
  ];
}
