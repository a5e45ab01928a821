/**
 * 5. Against peers: what a user could run instead, measured side by side.
 *
 * - Cached answer (B1): `image(id) { id answer(question) { … } }` whose
 *   answer is stored, against a hello-world Apollo Server 5 on Express 5
 *   returning the same shape from memory. Both are processes of their own
 *   (the gateway as `npm start` runs it: production, SQLite, logging at
 *   info to a file); autocannon drives each with the same connections, in
 *   interleaved rounds, so machine noise hits both alike. Ratio of medians.
 * - Added latency (B2): a fresh question through the gateway (askQuestion,
 *   the endpoint delayed) against the same image and question sent straight
 *   to the same endpoint, and through bare relays (bench/peers/bare-proxy.ts:
 *   a node:http proxy calling with fetch as the gateway does, the same with
 *   node:http's client, a node:net relay: the second hop alone, in steps),
 *   one request at a time, in rotating order.
 * - Image tokens per answered question (B4): n questions about one image in
 *   one operation, against one upstream call per question.
 *
 * The fake endpoint runs as a process of its own (bench/peers/fake-endpoint.ts),
 * so B2's latencies are not shared with this process's event loop.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GraphQLClient } from '../../test/support/client.js';
import { imageTokens } from '../../src/model/token-estimate.js';
import type { Fixture } from '../lib/fixtures.js';
import { load, median, postOnce, sequentialLatency, type GraphQLPost, type LoadResult } from '../lib/load.js';
import { answersOk, readHopTimeline, startServerProcess, type ServerProcess } from '../lib/processes.js';
import type { ProfileSummary } from '../lib/profile-buckets.js';
import type { HopTimeline } from '../peers/hop-timeline.js';
import { now, round, summarize, withTimeout, type LatencySummary } from '../lib/stats.js';

/** The fake endpoint's process, driven through its control port. */
export interface FakeEndpoint {
  url: string;
  requestCount(): Promise<number>;
  setDelay(ms: number): Promise<void>;
}

async function fakeEndpointOf(control: ServerProcess): Promise<FakeEndpoint> {
  const state = async () => (await (await fetch(`${control.origin}/state`)).json()) as { url: string; requests: number };
  return {
    url: (await state()).url,
    requestCount: async () => (await state()).requests,
    setDelay: async (ms) => {
      await fetch(`${control.origin}/delay?ms=${ms}`, { method: 'POST' });
    },
  };
}

const CACHED = 'query($id: ID!, $q: String!) { image(id: $id) { id answer(question: $q) { answer cached usage { totalTokens } } } }';
export const ASK = 'mutation($imageId: ID!, $question: String!) { askQuestion(imageId: $imageId, question: $question) { answer cached } }';
const UPLOAD = 'mutation($file: Upload!) { uploadImage(file: $file) { id width height } }';
const QUESTION = 'What colour is the car?';
export const API_KEY = 'bench-key';
export const MODEL = 'qwen-vl-bench';
/** Qwen's default QWEN_MAX_PIXELS: the bench images are far below it, so they are sent as they are. */
const MAX_PIXELS = 1_003_520;

export interface PeersOptions {
  rounds: number;
  roundSeconds: number;
  connections: number;
  sequentialCalls: number;
  freshPairs: number;
  delayMs: number;
  questionsPerImage: number;
  /** Directory for the gateway's --cpu-prof output, when profiling. */
  cpuProfileDir?: string;
}

/** bare-proxy.ts's relays cheaper than its fetch proxy: node:http's client, and a node:net relay with no HTTP. */
const LOWER_RELAYS = ['http', 'tcp'] as const;
type LowerRelay = (typeof LOWER_RELAYS)[number];

export interface PeersResult {
  connections: number;
  rounds: number;
  roundSeconds: number;
  cachedAnswer: {
    gateway: LoadResult[];
    helloApollo: LoadResult[];
    medianGatewayRps: number;
    medianHelloApolloRps: number;
    /** medianGatewayRps ÷ medianHelloApolloRps (target ≥ 0.6, stretch 0.8). */
    ratio: number;
    sequential: { gateway: LatencySummary; helloApollo: LatencySummary };
    /** Lines the gateway logged per HTTP request during the rounds (target: 1 at info). */
    logLinesPerRequest: number;
  };
  addedLatency: {
    delayMs: number;
    pairs: number;
    gateway: LatencySummary;
    direct: LatencySummary;
    /** The same request through a bare node:http proxy calling with fetch (bench/peers/bare-proxy.ts): the second hop alone. */
    bareProxy: LatencySummary;
    /** The same request through cheaper relays: node:http's client instead of fetch, and a node:net relay (no HTTP); each with its added p50 and p95. */
    lowerFloors: Array<{ relay: LowerRelay; latency: LatencySummary; addedP50Ms: number; addedP95Ms: number }>;
    /** gateway − direct, at p50 and p95 (targets ≤ 3 ms and ≤ 5 ms). */
    addedP50Ms: number;
    addedP95Ms: number;
    /** bare proxy − direct, at p50 and p95: what any gateway in Node adds on this machine before doing anything. */
    floorP50Ms: number;
    floorP95Ms: number;
    /** Inside each process that calls the endpoint (bench/peers/hop-timeline.ts): before the call, after the reply. */
    inProcess: { gateway: HopTimeline; bareProxy: HopTimeline };
    /** Answers through the gateway that were not fresh, or upstream calls other than one per question (should be 0). */
    anomalies: number;
  };
  imageTokens: {
    questionsPerImage: number;
    upstreamCalls: number;
    imageTokensPerCall: number;
    /** Image input tokens per answered question through the gateway. */
    perAnsweredQuestion: number;
    /** The same, one upstream call per question. */
    perQuestionOneCallEach: number;
    /** perAnsweredQuestion ÷ perQuestionOneCallEach (target ≤ 0.25 at 5 questions). */
    ratio: number;
  };
  /** With --cpu-prof: the gateway process's profile over the whole scenario (mostly B1; its start left out), summarised. */
  gatewayProfile?: ProfileSummary;
}

export async function upload(client: GraphQLClient, fixture: Fixture): Promise<{ id: string; width: number; height: number }> {
  const response = await client.upload<{ uploadImage: { id: string; width: number; height: number } }>(UPLOAD, { file: null }, [
    { path: 'variables.file', file: { name: fixture.name, bytes: await readFile(fixture.path), type: 'image/jpeg' } },
  ]);
  if (!response.data) throw new Error(`setup upload failed: ${JSON.stringify(response.errors)}`);
  return response.data.uploadImage;
}

/** Gateway and peer in alternating order, round after round, so a slow moment of the machine hits both. */
async function cachedAnswerRounds(gateway: GraphQLPost, hello: GraphQLPost, options: PeersOptions, log: (line: string) => void) {
  const expected = { gateway: await postOnce(gateway), hello: await postOnce(hello) };
  if (!expected.gateway.includes('"cached":true')) throw new Error(`the primed answer is not cached: ${expected.gateway}`);
  const run = (post: GraphQLPost, expectBody: string, seconds: number) => load(post, { connections: options.connections, seconds, expectBody });
  log(`  warm-up: 2 s each…`);
  const warmup = await run(gateway, expected.gateway, 2);
  await run(hello, expected.hello, 2);
  // Every request the gateway answered in this step, for the log lines per request.
  const results = { gateway: [] as LoadResult[], hello: [] as LoadResult[], gatewayRequests: 1 + warmup.requests };
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? (['gateway', 'hello'] as const) : (['hello', 'gateway'] as const);
    for (const side of order) {
      const result = await run(side === 'gateway' ? gateway : hello, expected[side], options.roundSeconds);
      results[side].push(result);
      if (side === 'gateway') results.gatewayRequests += result.requests;
      log(`  round ${r + 1}, ${side === 'gateway' ? 'gateway' : 'hello-world Apollo'}: ${result.requestsPerSecond} req/s, p50 ${result.latencyP50Ms} ms${result.failures ? `, ${result.failures} FAILURES` : ''}`);
    }
  }
  return results;
}

/** askQuestion with a new question each time, against the same question sent straight to the endpoint and through each bare relay. */
async function addedLatency(
  client: GraphQLClient,
  direct: { url: string; proxyUrl: string; lowerFloorUrls: Record<LowerRelay, string>; dataUrl: string },
  imageId: string,
  fake: FakeEndpoint,
  options: PeersOptions,
): Promise<Omit<PeersResult['addedLatency'], 'inProcess'>> {
  const viaGateway: number[] = [];
  const straight: number[] = [];
  const proxied: number[] = [];
  let anomalies = 0;
  const ask = async (question: string) => {
    const before = await fake.requestCount();
    const started = now();
    const response = await withTimeout(client.request<{ askQuestion: { cached: boolean } }>(ASK, { imageId, question }), 30_000, 'askQuestion');
    viaGateway.push(now() - started);
    if (response.errors || response.data?.askQuestion.cached !== false || (await fake.requestCount()) !== before + 1) anomalies++;
  };
  const post = (url: string, into: number[], what: string) => async (question: string) => {
    const body = JSON.stringify({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: direct.dataUrl } }, { type: 'text', text: question }] }],
    });
    const started = now();
    const response = await withTimeout(
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body }).then(async (r) => ({ status: r.status, text: await r.text() })),
      30_000,
      what,
    );
    into.push(now() - started);
    if (response.status !== 200) anomalies++;
  };
  const lower: Record<LowerRelay, number[]> = { http: [], tcp: [] };
  const sides = [
    ask,
    post(direct.url, straight, 'a direct call'),
    post(direct.proxyUrl, proxied, 'a call through the bare proxy'),
    post(direct.lowerFloorUrls.http, lower.http, 'a call through the node:http client proxy'),
    post(direct.lowerFloorUrls.tcp, lower.tcp, 'a call through the TCP relay'),
  ];
  for (let i = 0; i < options.freshPairs; i++) {
    const question = `Fresh question ${i + 1}: what is in the picture?`;
    // Rotated, so neither side always follows the same one.
    for (let s = 0; s < sides.length; s++) await sides[(i + s) % sides.length]!(question);
  }
  const gateway = summarize(viaGateway);
  const directSummary = summarize(straight);
  const bareProxy = summarize(proxied);
  return {
    delayMs: options.delayMs,
    pairs: options.freshPairs,
    gateway,
    direct: directSummary,
    bareProxy,
    lowerFloors: LOWER_RELAYS.map((relay) => {
      const latency = summarize(lower[relay]);
      return { relay, latency, addedP50Ms: round(latency.p50Ms - directSummary.p50Ms, 2), addedP95Ms: round(latency.p95Ms - directSummary.p95Ms, 2) };
    }),
    addedP50Ms: round(gateway.p50Ms - directSummary.p50Ms, 2),
    addedP95Ms: round(gateway.p95Ms - directSummary.p95Ms, 2),
    floorP50Ms: round(bareProxy.p50Ms - directSummary.p50Ms, 2),
    floorP95Ms: round(bareProxy.p95Ms - directSummary.p95Ms, 2),
    anomalies,
  };
}

/** n questions about one image in one operation: how many times the image is sent. */
async function imageTokensPerQuestion(
  client: GraphQLClient,
  image: { id: string; width: number; height: number },
  fake: FakeEndpoint,
  questionsPerImage: number,
): Promise<PeersResult['imageTokens']> {
  const aliases = Array.from({ length: questionsPerImage }, (_, i) => `q${i}: answer(question: "Question ${i + 1} about this image?") { answer cached }`);
  const before = await fake.requestCount();
  const response = await client.request(`query($id: ID!) { image(id: $id) { ${aliases.join(' ')} } }`, { id: image.id });
  if (response.errors) throw new Error(`the ${questionsPerImage}-question query failed: ${JSON.stringify(response.errors)}`);
  const upstreamCalls = (await fake.requestCount()) - before;
  const perCall = imageTokens(image.width, image.height, { maxPixels: MAX_PIXELS });
  const perAnsweredQuestion = round((upstreamCalls * perCall) / questionsPerImage, 1);
  return { questionsPerImage, upstreamCalls, imageTokensPerCall: perCall, perAnsweredQuestion, perQuestionOneCallEach: perCall, ratio: round(perAnsweredQuestion / perCall, 3) };
}

async function countLogLines(file: string): Promise<number> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter((line) => line.includes('"msg":"request completed"')).length;
}

/** B2's in-process marks (bench/peers/hop-timeline.ts), preloaded into a server that writes them to `file` on SIGUSR2. */
const timelineOf = (file: string) => ({ preload: ['bench/peers/hop-timeline.ts'], env: { HOP_TIMELINE_FILE: file } });

/**
 * The fake endpoint and the gateway, each a process of its own (the gateway as
 * `npm start` runs it: production, SQLite, logging at info to a file), added
 * to `started` as they come up so the caller stops whatever did. `timelineFile`:
 * the gateway keeps B2's in-process marks and writes them there when asked.
 */
export async function startEndpointAndGateway(
  dataDir: string,
  started: ServerProcess[],
  options: { cpuProfileDir?: string; timelineFile?: string } = {},
): Promise<{ fake: FakeEndpoint; gateway: ServerProcess }> {
  const { cpuProfileDir, timelineFile } = options;
  const timeline = timelineFile ? timelineOf(timelineFile) : { preload: [], env: {} };
  const fakeProcess = await startServerProcess('bench/peers/fake-endpoint.ts', {
    env: { FAKE_API_KEY: API_KEY },
    logFile: path.join(dataDir, 'fake-endpoint.log'),
    ready: async (origin) => (await fetch(`${origin}/state`)).ok,
  });
  started.push(fakeProcess);
  const fake = await fakeEndpointOf(fakeProcess);
  const gateway = await startServerProcess('src/main.ts', {
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      QWEN_BASE_URL: fake.url,
      QWEN_API_KEY: API_KEY,
      QWEN_MODEL: MODEL,
      QWEN_MAX_RETRIES: '0',
      // Out of the way: the benchmark is one client sending thousands of requests a minute.
      RATE_LIMIT_PER_MINUTE: '1000000000',
      TOKEN_BUDGET_PER_DAY: '1000000000',
      ...timeline.env,
    },
    preload: timeline.preload,
    logFile: path.join(dataDir, 'gateway.log'),
    ready: answersOk('/readyz'),
    cpuProfileDir,
  });
  started.push(gateway);
  return { fake, gateway };
}

export async function runPeers(images: Fixture[], options: PeersOptions, log: (line: string) => void): Promise<PeersResult> {
  const { result, gateway } = await measurePeers(images, options, log);
  // The gateway has stopped by now, so its profile is written.
  const profile = gateway.profile();
  return profile ? { ...result, gatewayProfile: profile } : result;
}

async function measurePeers(images: Fixture[], options: PeersOptions, log: (line: string) => void): Promise<{ result: PeersResult; gateway: ServerProcess }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-bench-peers-'));
  const started: ServerProcess[] = [];
  try {
    log('  starting the gateway (its own process, NODE_ENV=production) and the hello-world Apollo peer…');
    const timelineFiles = { gateway: path.join(dataDir, 'gateway-timeline.json'), bareProxy: path.join(dataDir, 'bare-proxy-timeline.json') };
    const { fake, gateway } = await startEndpointAndGateway(dataDir, started, { cpuProfileDir: options.cpuProfileDir, timelineFile: timelineFiles.gateway });
    const hello = await startServerProcess('bench/peers/hello-apollo.ts', {
      env: { NODE_ENV: 'production' },
      logFile: path.join(dataDir, 'hello-apollo.log'),
      ready: async (origin) => (await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).ok,
    });
    started.push(hello);

    const client = new GraphQLClient(`${gateway.origin}/graphql`);
    const [cachedImage, packedImage] = [await upload(client, images[0]!), await upload(client, images[1]!)];
    const body = JSON.stringify({ query: CACHED, variables: { id: cachedImage.id, q: QUESTION } });
    await postOnce({ url: `${gateway.origin}/graphql`, body }); // the one miss: asks upstream and stores the answer

    log(`  B1 cached answer: ${options.rounds} interleaved rounds × ${options.roundSeconds} s, ${options.connections} connections…`);
    const linesBefore = await countLogLines(gateway.logFile);
    const rounds = await cachedAnswerRounds({ url: `${gateway.origin}/graphql`, body }, { url: `${hello.origin}/graphql`, body }, options, log);
    const logLines = (await countLogLines(gateway.logFile)) - linesBefore;
    log(`  sequential latency, ${options.sequentialCalls} calls each…`);
    const sequential = {
      gateway: await sequentialLatency({ url: `${gateway.origin}/graphql`, body }, options.sequentialCalls),
      helloApollo: await sequentialLatency({ url: `${hello.origin}/graphql`, body }, options.sequentialCalls),
    };
    const medianGatewayRps = median(rounds.gateway.map((r) => r.requestsPerSecond));
    const medianHelloApolloRps = median(rounds.hello.map((r) => r.requestsPerSecond));

    log(`  B2 added latency: ${options.freshPairs} fresh questions, through the gateway, straight to the endpoint and through three bare relays (delay ${options.delayMs} ms)…`);
    await fake.setDelay(options.delayMs);
    const dataUrl = `data:image/jpeg;base64,${(await readFile(images[0]!.path)).toString('base64')}`;
    /** One of bare-proxy.ts's relays in a process of its own (`client`: BARE_PROXY_CLIENT); only the fetch proxy keeps a hop timeline. */
    const startRelay = async (client: 'fetch' | LowerRelay) => {
      const timeline = client === 'fetch' ? timelineOf(timelineFiles.bareProxy) : { preload: [], env: {} };
      const server = await startServerProcess('bench/peers/bare-proxy.ts', {
        env: { UPSTREAM_URL: fake.url, BARE_PROXY_CLIENT: client, ...timeline.env },
        preload: timeline.preload,
        logFile: path.join(dataDir, `bare-proxy-${client}.log`),
        ready: async (origin) => (await fetch(`${origin}/models`)).status > 0,
      });
      started.push(server);
      return server;
    };
    const proxy = await startRelay('fetch');
    // The HTTP proxies prefix the endpoint's base path themselves; the TCP relay passes the path through.
    const endpointPath = `${new URL(fake.url).pathname.replace(/\/$/, '')}/chat/completions`;
    const lowerFloorUrls = { http: `${(await startRelay('http')).origin}/chat/completions`, tcp: `${(await startRelay('tcp')).origin}${endpointPath}` };
    const measured = await addedLatency(client, { url: `${fake.url}/chat/completions`, proxyUrl: `${proxy.origin}/chat/completions`, lowerFloorUrls, dataUrl }, cachedImage.id, fake, options);
    const added = { ...measured, inProcess: { gateway: await readHopTimeline(gateway, timelineFiles.gateway), bareProxy: await readHopTimeline(proxy, timelineFiles.bareProxy) } };
    await fake.setDelay(0);

    log(`  B4: ${options.questionsPerImage} questions about one image in one operation…`);
    const tokens = await imageTokensPerQuestion(client, packedImage, fake, options.questionsPerImage);
    const result: PeersResult = {
      connections: options.connections,
      rounds: options.rounds,
      roundSeconds: options.roundSeconds,
      cachedAnswer: {
        gateway: rounds.gateway,
        helloApollo: rounds.hello,
        medianGatewayRps,
        medianHelloApolloRps,
        ratio: round(medianGatewayRps / medianHelloApolloRps, 3),
        sequential,
        logLinesPerRequest: round(logLines / rounds.gatewayRequests, 3),
      },
      addedLatency: added,
      imageTokens: tokens,
    };
    return { result, gateway };
  } finally {
    await Promise.all(started.map((server) => server.stop()));
    await rm(dataDir, { recursive: true, force: true });
  }
}
