/**
 * 2. Batched model work: a caption and 3 questions for each of 20 images.
 * Once as one GraphQL query through images(first: 20) — the gateway packs an
 * image's 4 prompts into one upstream call — and once as 80 separate
 * captionImage/askQuestion requests about 20 fresh images (nothing cached),
 * all sent at once; in a full run also one after another, as a naive client
 * would. The fake endpoint answers every call after `delayMs`.
 *
 * When the one query fails (it is reported as such, and its check fails),
 * the same work is also measured as two images(first: 10) queries sent at
 * once, so the comparison still has numbers; that run is labelled fallback.
 */
import type { BenchGateway } from '../lib/gateway.js';
import { fakeDecodeMs, startBenchGateway, uploadFixtures, type UploadedImage } from '../lib/gateway.js';
import type { Fixture } from '../lib/fixtures.js';
import { now, round, startEluMeter, withTimeout } from '../lib/stats.js';

export const QUESTIONS = ['What colour is the car?', 'How many people are in the picture?', 'Is it indoors or outdoors?'] as const;

const BATCH_QUERY = `query Batch($first: Int!, $after: String, $q1: String!, $q2: String!, $q3: String!) {
  images(first: $first, after: $after) {
    edges { node {
      id
      caption(style: BRIEF) { text cached }
      a1: answer(question: $q1) { answer cached }
      a2: answer(question: $q2) { answer cached }
      a3: answer(question: $q3) { answer cached }
    } }
  }
}`;
const CURSOR = 'query($first: Int!) { images(first: $first) { pageInfo { endCursor } } }';
const CAPTION = 'mutation($imageId: ID!) { captionImage(imageId: $imageId, style: BRIEF) { text cached } }';
const ASK = 'mutation($imageId: ID!, $question: String!) { askQuestion(imageId: $imageId, question: $question) { answer cached } }';

interface ErrorShape {
  message: string;
  extensions?: { code?: string };
}
type Response = { status: number; errors?: ErrorShape[]; data?: Record<string, unknown> | null };

interface Answer {
  cached: boolean;
}

export interface BatchRun {
  label: string;
  httpRequests: number;
  /** Answers received (prompts × images when everything worked). */
  answers: number;
  upstreamCalls: number;
  /** Upstream calls that carried more than one prompt. */
  packedCalls: number;
  maxUpstreamInFlight: number;
  wallMs: number;
  /** ceil(upstream calls / min(QWEN_MAX_CONCURRENCY, requests the client has in flight)) × delay: the floor set by the endpoint's latency alone. */
  idealMs: number;
  eventLoopUtilization: number;
  errors: number;
  /** Distinct error codes and the first message of each, when there were errors. */
  errorSamples: Array<{ code: string; message: string; httpStatus: number }>;
  answersNotFresh: number;
}

export interface BatchingResult {
  images: number;
  promptsPerImage: number;
  delayMs: number;
  maxConcurrency: number;
  /** The fake endpoint's own image decode per call (same function, measured apart), in ms. */
  fakeDecodeMsPerCall: number;
  batched: BatchRun;
  /** Only when `batched` failed: the same work as two images(first: 10) queries at once. */
  batchedFallback?: BatchRun;
  separateConcurrent: BatchRun;
  separateSequential?: BatchRun;
  /** Compared with the batched run that worked (the one query, else the fallback). */
  comparedWith: string;
  upstreamCallsSaved: number;
  speedupVsConcurrent: number;
  speedupVsSequential?: number;
}

function errorSamples(responses: Response[]): BatchRun['errorSamples'] {
  const byCode = new Map<string, BatchRun['errorSamples'][number]>();
  for (const r of responses) {
    for (const e of r.errors ?? []) {
      const code = e.extensions?.code ?? 'UNKNOWN';
      if (!byCode.has(code)) byCode.set(code, { code, message: e.message, httpStatus: r.status });
    }
  }
  return [...byCode.values()];
}

function runStats(
  gateway: BenchGateway,
  label: string,
  run: { httpRequests: number; wallMs: number; elu: number; responses: Response[]; answers: Answer[]; clientConcurrency: number },
  options: { delayMs: number; maxConcurrency: number },
): BatchRun {
  const requests = gateway.harness.fake.requests;
  return {
    label,
    httpRequests: run.httpRequests,
    answers: run.answers.length,
    upstreamCalls: requests.length,
    packedCalls: requests.filter((r) => r.packed).length,
    maxUpstreamInFlight: gateway.harness.fake.stats.maxInFlight,
    wallMs: Math.round(run.wallMs),
    idealMs: Math.ceil(requests.length / Math.min(options.maxConcurrency, run.clientConcurrency)) * options.delayMs,
    eventLoopUtilization: run.elu,
    errors: run.responses.reduce((n, r) => n + (r.errors?.length ?? 0), 0),
    errorSamples: errorSamples(run.responses),
    answersNotFresh: run.answers.filter((a) => a.cached).length,
  };
}

function answersOf(response: Response): Answer[] {
  const edges = (response.data?.images as { edges?: Array<{ node: Record<string, Answer | null> | null }> } | undefined)?.edges ?? [];
  return edges.flatMap((edge) => (edge.node ? [edge.node.caption, edge.node.a1, edge.node.a2, edge.node.a3] : [])).filter((a): a is Answer => !!a);
}

/** Runs the given batched queries at once and measures them. */
async function batched(gateway: BenchGateway, label: string, pages: Array<{ first: number; after: string | null }>, options: { delayMs: number; maxConcurrency: number }): Promise<BatchRun> {
  gateway.harness.fake.reset();
  const elu = startEluMeter();
  const started = now();
  const responses = await withTimeout(
    Promise.all(pages.map((page) => gateway.client.request(BATCH_QUERY, { ...page, q1: QUESTIONS[0], q2: QUESTIONS[1], q3: QUESTIONS[2] }) as Promise<Response>)),
    60_000,
    'the batched query',
  );
  const wallMs = now() - started;
  return runStats(gateway, label, { httpRequests: pages.length, wallMs, elu: elu(), responses, answers: responses.flatMap(answersOf), clientConcurrency: Infinity }, options);
}

async function separate(gateway: BenchGateway, images: UploadedImage[], mode: 'concurrent' | 'sequential', options: { delayMs: number; maxConcurrency: number }): Promise<BatchRun> {
  const calls = images.flatMap((image) => [
    () => gateway.client.request(CAPTION, { imageId: image.id }).then((r) => ({ r: r as Response, a: r.data?.captionImage as Answer | undefined })),
    ...QUESTIONS.map((question) => () => gateway.client.request(ASK, { imageId: image.id, question }).then((r) => ({ r: r as Response, a: r.data?.askQuestion as Answer | undefined }))),
  ]);
  gateway.harness.fake.reset();
  const elu = startEluMeter();
  const started = now();
  const results: Array<{ r: Response; a: Answer | undefined }> = [];
  if (mode === 'concurrent') {
    results.push(...(await withTimeout(Promise.all(calls.map((call) => call())), 120_000, 'the separate requests')));
  } else {
    for (const call of calls) results.push(await withTimeout(call(), 30_000, 'a separate request'));
  }
  const wallMs = now() - started;
  const label = `${calls.length} separate requests, ${mode === 'concurrent' ? 'all at once' : 'one after another'}`;
  return runStats(
    gateway,
    label,
    {
      httpRequests: calls.length,
      wallMs,
      elu: elu(),
      responses: results.map((x) => x.r),
      answers: results.map((x) => x.a).filter((a): a is Answer => a !== undefined),
      clientConcurrency: mode === 'concurrent' ? calls.length : 1,
    },
    options,
  );
}

const worked = (run: BatchRun, expected: number) => run.errors === 0 && run.answers === expected;

export async function runBatching(
  sets: { batched: Fixture[]; separate: Fixture[]; sequential?: Fixture[] },
  options: { delayMs: number; maxConcurrency: number },
  log: (line: string) => void,
): Promise<BatchingResult> {
  const count = sets.batched.length;
  const expected = count * (QUESTIONS.length + 1);
  const gateway = await startBenchGateway({
    QWEN_MAX_CONCURRENCY: String(options.maxConcurrency),
    // 20 images × 4 prompts is 80 model prompts in one operation; the default guard (50) refuses that.
    QUERY_MAX_PROMPTS: '100',
  });
  try {
    // Only this set is uploaded before the query, so images(first: 20) is exactly these images.
    await uploadFixtures(gateway, sets.batched);
    gateway.harness.fake.setDelay(options.delayMs);
    log(`  1 query: caption + ${QUESTIONS.length} questions × ${count} images (fake delay ${options.delayMs} ms, QWEN_MAX_CONCURRENCY=${options.maxConcurrency})…`);
    const one = await batched(gateway, `1 query, images(first: ${count})`, [{ first: count, after: null }], options);

    let fallback: BatchRun | undefined;
    if (!worked(one, expected)) {
      const sample = one.errorSamples[0];
      log(`  ! the one query failed (${one.errors} error(s)${sample ? `, ${sample.code}: ${sample.message}` : ''}); measuring 2 queries × images(first: ${Math.ceil(count / 2)}) at once as a fallback…`);
      const half = Math.ceil(count / 2);
      const cursor = await gateway.client.request<{ images: { pageInfo: { endCursor: string | null } } }>(CURSOR, { first: half });
      fallback = await batched(gateway, `2 queries × images(first: ${half}), at once (fallback)`, [{ first: half, after: null }, { first: count - half, after: cursor.data?.images.pageInfo.endCursor ?? null }], options);
    }

    const fresh = await uploadFixtures(gateway, sets.separate);
    log(`  ${fresh.length * (QUESTIONS.length + 1)} separate requests about ${fresh.length} fresh images, all at once…`);
    const concurrentRun = await separate(gateway, fresh, 'concurrent', options);

    let sequentialRun: BatchRun | undefined;
    if (sets.sequential) {
      const fresher = await uploadFixtures(gateway, sets.sequential);
      log(`  ${fresher.length * (QUESTIONS.length + 1)} separate requests about ${fresher.length} fresh images, one after another…`);
      sequentialRun = await separate(gateway, fresher, 'sequential', options);
    }
    const reference = fallback && !worked(one, expected) ? fallback : one;
    return {
      images: count,
      promptsPerImage: QUESTIONS.length + 1,
      delayMs: options.delayMs,
      maxConcurrency: options.maxConcurrency,
      fakeDecodeMsPerCall: await fakeDecodeMs(sets.batched[0]!),
      batched: one,
      ...(fallback ? { batchedFallback: fallback } : {}),
      separateConcurrent: concurrentRun,
      ...(sequentialRun ? { separateSequential: sequentialRun } : {}),
      comparedWith: reference.label,
      upstreamCallsSaved: concurrentRun.upstreamCalls - reference.upstreamCalls,
      speedupVsConcurrent: round(concurrentRun.wallMs / reference.wallMs, 2),
      ...(sequentialRun ? { speedupVsSequential: round(sequentialRun.wallMs / reference.wallMs, 2) } : {}),
    };
  } finally {
    await gateway.close();
  }
}
