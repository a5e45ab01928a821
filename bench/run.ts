/**
 * On-demand benchmarks of the gateway (never part of `npm test`):
 *
 *   npm run bench              full run (about 1–3 minutes on 2 cores)
 *   npm run bench -- --quick   smaller run (under 30 s)
 *   npm run bench -- --only uploads,cache
 *   npm run bench -- --only usage          Query.usage over 1 million generated rows (SQLite, PostgreSQL)
 *   npm run bench -- --only neardup        near-duplicate misses and false matches, answer reuse, fingerprint cost per upload
 *   npm run bench -- --only peers --cpu-prof   (also profiles the gateway processes; the report summarises them)
 *   npm run bench -- --only openai-door    latency the OpenAI-compatible door adds, beside B2
 *
 * Boots the real gateway in this process against the fake Qwen endpoint
 * (test/support, test/fake-qwen) on temp DATA_DIRs, on 127.0.0.1 only.
 * Writes bench/results/<timestamp>.json and bench/results/latest.md and
 * prints the summary. See bench/README.md for what each number means.
 */
import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureFixtures, photoSpecs, smallSpecs, warmupPhotoSpecs, type Fixture } from './lib/fixtures.js';
import { checks, summary, type BenchResults } from './lib/report.js';
import { now } from './lib/stats.js';
import { runBatching } from './scenarios/batching.js';
import { runCache } from './scenarios/cache.js';
import { runJob } from './scenarios/job.js';
import { runPeers } from './scenarios/peers.js';
import { runUploads } from './scenarios/uploads.js';
import { runUsage } from './scenarios/usage.js';
import { runNearDup } from './scenarios/neardup.js';
import { runOpenAiDoor } from './scenarios/openai-door.js';

const SCENARIOS = ['uploads', 'batching', 'cache', 'job', 'peers', 'usage', 'neardup', 'openai-door'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Profile {
  photos: number;
  /** Unmeasured uploads before each upload phase. */
  warmupPhotos: number;
  uploadConcurrency: number[];
  batchImages: number;
  batchDelayMs: number;
  /** Also run the 80 separate requests one after another (slow: prompts × delay). */
  sequentialBaseline: boolean;
  maxConcurrency: number;
  memoryHits: number;
  databaseHits: number;
  jobImages: number;
  jobDelayMs: number;
  /** Peers: interleaved rounds of each side, their length, autocannon connections. */
  peerRounds: number;
  peerRoundSeconds: number;
  peerConnections: number;
  /** Peers: one-at-a-time cached queries per side; fresh question pairs (gateway, direct). */
  peerSequentialCalls: number;
  peerFreshPairs: number;
  peerDelayMs: number;
  /** Questions about one image in one operation (B4). */
  peerQuestionsPerImage: number;
  /** OpenAI door: rotations of door, askQuestion and direct call, one question each. */
  openAiDoorRounds: number;
  /** Usage: generated upstream calls Query.usage is timed over. */
  usageRows: number;
  /** Near-duplicates: generated photos and screenshots (each with its variants and negatives), and 12 MP photos fingerprinted. */
  neardupPhotos: number;
  neardupScreenshots: number;
  neardupLargePhotos: number;
  /** The whole run is aborted past this. */
  watchdogMs: number;
}

const PROFILES: Record<'full' | 'quick', Profile> = {
  full: {
    photos: 30,
    warmupPhotos: 8,
    uploadConcurrency: [1, 4],
    batchImages: 20,
    batchDelayMs: 200,
    sequentialBaseline: true,
    maxConcurrency: 8,
    memoryHits: 500,
    databaseHits: 200,
    jobImages: 50,
    jobDelayMs: 100,
    peerRounds: 3,
    peerRoundSeconds: 10,
    peerConnections: 10,
    peerSequentialCalls: 300,
    peerFreshPairs: 60,
    peerDelayMs: 200,
    peerQuestionsPerImage: 5,
    openAiDoorRounds: 60,
    usageRows: 1_000_000,
    neardupPhotos: 20,
    neardupScreenshots: 10,
    neardupLargePhotos: 8,
    watchdogMs: 10 * 60_000,
  },
  quick: {
    // As many as the full run: fewer bytes could not be told apart from V8's Buffer garbage (see README).
    photos: 30,
    warmupPhotos: 8,
    uploadConcurrency: [1, 4],
    batchImages: 20,
    batchDelayMs: 200,
    sequentialBaseline: false,
    maxConcurrency: 8,
    memoryHits: 100,
    databaseHits: 50,
    jobImages: 50,
    jobDelayMs: 100,
    peerRounds: 3,
    peerRoundSeconds: 3,
    peerConnections: 10,
    peerSequentialCalls: 100,
    peerFreshPairs: 20,
    peerDelayMs: 200,
    peerQuestionsPerImage: 5,
    openAiDoorRounds: 20,
    usageRows: 100_000,
    neardupPhotos: 6,
    neardupScreenshots: 3,
    neardupLargePhotos: 4,
    watchdogMs: 3 * 60_000,
  },
};

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

function usage(): never {
  console.log('usage: npm run bench -- [--quick] [--only uploads,batching,cache,job,peers,usage,neardup,openai-door] [--cpu-prof]');
  process.exit(0);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) usage();
  const mode = values.quick ? 'quick' : 'full';
  const profile = PROFILES[mode];
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...SCENARIOS];
  const unknown = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')} (choose from ${SCENARIOS.join(', ')})`);
  const selected = new Set(only as Scenario[]);

  // Bounded run: whatever hangs, the process ends.
  const watchdog = setTimeout(() => {
    log(`benchmark aborted: still running after ${profile.watchdogMs / 1000} s`);
    process.exit(2);
  }, profile.watchdogMs);
  watchdog.unref();

  const startedAt = new Date();
  const started = now();
  log(`gateway benchmark (${mode}): ${[...selected].join(', ')}`);

  log('fixtures:');
  const sets = {
    photos: photoSpecs(Math.max(selected.has('uploads') ? profile.photos : 0, selected.has('neardup') ? profile.neardupLargePhotos : 0)),
    warmup: warmupPhotoSpecs(selected.has('uploads') ? profile.warmupPhotos : 0),
    batched: smallSpecs('batched', selected.has('batching') ? profile.batchImages : 0),
    separate: smallSpecs('separate', selected.has('batching') ? profile.batchImages : 0),
    sequential: smallSpecs('sequential', selected.has('batching') && profile.sequentialBaseline ? profile.batchImages : 0),
    cache: smallSpecs('cache', selected.has('cache') ? 1 : 0),
    job: smallSpecs('job', selected.has('job') ? profile.jobImages : 0),
    peers: smallSpecs('peers', selected.has('peers') ? 2 : 0),
    door: smallSpecs('door', selected.has('openai-door') ? 1 : 0),
  };
  const all = Object.values(sets).flat();
  const { fixtures, generated, generateMs } = await ensureFixtures(all, log);
  const byName = new Map(fixtures.map((f) => [f.name, f]));
  const pick = (specs: typeof all): Fixture[] => specs.map((s) => byName.get(s.name)!);
  log(`  ${fixtures.length} fixtures ready (${generated} generated in ${(generateMs / 1000).toFixed(1)} s)`);

  const results: BenchResults = {};
  // With --cpu-prof, the gateway processes the scenarios start (peers; uploads' separate one) write their profiles here.
  const cpuProfileDir = values['cpu-prof'] ? path.join(RESULTS_DIR, 'profiles') : undefined;
  if (selected.has('uploads')) {
    log('1. uploads:');
    results.uploads = await runUploads(pick(sets.photos), pick(sets.warmup), { concurrencies: profile.uploadConcurrency, cpuProfileDir }, log);
  }
  if (selected.has('batching')) {
    log('2. batched model work:');
    results.batching = await runBatching(
      { batched: pick(sets.batched), separate: pick(sets.separate), ...(profile.sequentialBaseline ? { sequential: pick(sets.sequential) } : {}) },
      { delayMs: profile.batchDelayMs, maxConcurrency: profile.maxConcurrency },
      log,
    );
  }
  if (selected.has('cache')) {
    log('3. cache hits:');
    results.cache = await runCache(pick(sets.cache)[0]!, { memory: profile.memoryHits, database: profile.databaseHits }, log);
  }
  if (selected.has('job')) {
    log('4. job:');
    results.job = await runJob(pick(sets.job), { delayMs: profile.jobDelayMs, maxConcurrency: profile.maxConcurrency }, log);
  }

  if (selected.has('peers')) {
    log('5. against peers:');
    results.peers = await runPeers(
      pick(sets.peers),
      {
        rounds: profile.peerRounds,
        roundSeconds: profile.peerRoundSeconds,
        connections: profile.peerConnections,
        sequentialCalls: profile.peerSequentialCalls,
        freshPairs: profile.peerFreshPairs,
        delayMs: profile.peerDelayMs,
        questionsPerImage: profile.peerQuestionsPerImage,
        cpuProfileDir,
      },
      log,
    );
    if (cpuProfileDir) log(`  the gateway's CPU profiles are in ${path.relative(process.cwd(), cpuProfileDir)} (open them in Chrome DevTools)`);
  }

  if (selected.has('usage')) {
    log('6. usage:');
    results.usage = await runUsage(profile.usageRows, process.env.TEST_POSTGRES_URL ?? 'postgres://127.0.0.1:5432/test', log);
  }

  if (selected.has('neardup')) {
    log('7. near-duplicates:');
    results.neardup = await runNearDup(pick(sets.photos).slice(0, profile.neardupLargePhotos), { photos: profile.neardupPhotos, screenshots: profile.neardupScreenshots }, log);
  }

  if (selected.has('openai-door')) {
    log('8. the OpenAI-compatible door:');
    results.openAiDoor = await runOpenAiDoor(pick(sets.door)[0]!, { rounds: profile.openAiDoorRounds, delayMs: profile.peerDelayMs }, log);
  }

  const durationMs = Math.round(now() - started);
  const list = checks(results);
  const cpus = os.cpus();
  const environment = {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemMB: Math.round(os.totalmem() / 1024 / 1024),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  // ISO 8601 with ':' replaced by '-', so the name is valid on every file system.
  const file = path.join(RESULTS_DIR, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  const relative = path.relative(process.cwd(), file);
  const report = {
    version: 1,
    mode,
    scenarios: [...selected],
    startedAt: startedAt.toISOString(),
    durationMs,
    environment,
    profile,
    fixtures: { generated, generateMs },
    results,
    checks: list,
  };
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  const text = summary({ mode, startedAt: startedAt.toISOString(), durationMs, environment, resultsFile: relative }, results, list);
  await writeFile(path.join(RESULTS_DIR, 'latest.md'), text);
  console.log(text);
  return list.every((c) => c.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('benchmark failed:', error);
    process.exit(1);
  },
);
