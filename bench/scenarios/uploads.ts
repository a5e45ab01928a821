/**
 * 1. Upload throughput and memory: camera-sized JPEGs uploaded one request
 * per file, sequentially and 4 at a time, each phase on a fresh gateway and
 * DATA_DIR. Before each phase a few other photos are uploaded at the same
 * concurrency (not measured): the first uploads in a process grow RSS once,
 * by tens of MB, as sharp/libvips and the allocator warm up (recorded as
 * `warmupRssMB`). RSS is then sampled every 20 ms: a gateway that streams
 * uploads to disk stays flat; one that buffers whole files grows by about
 * the bytes in flight, and one that keeps them grows by all of them.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startBenchGateway } from '../lib/gateway.js';
import type { Fixture } from '../lib/fixtures.js';
import { answersOk, startServerProcess, type ServerProcess } from '../lib/processes.js';
import type { ProfileSummary } from '../lib/profile-buckets.js';
import { uploadSink } from '../peers/upload-sink.js';
import { forceGc, now, pool, round, sleep, startEluMeter, startMemorySampler, summarize, toMB, type LatencySummary, type MemoryPeaks } from '../lib/stats.js';
import { streamUpload, type StreamUploadResult } from '../lib/stream-upload.js';

const UPLOAD_ONE = 'mutation($file: Upload!) { uploadImage(file: $file) { id sha256 byteSize width height } }';

export interface UploadPhaseResult {
  concurrency: number;
  files: number;
  totalMB: number;
  wallMs: number;
  throughputMBps: number;
  filesPerSecond: number;
  latency: LatencySummary;
  eventLoopUtilization: number;
  memory: MemoryPeaks;
  /** RSS after the warm-up uploads (and a GC) minus RSS before them. */
  warmupRssMB: number;
  /** Peak RSS growth as a share of all bytes uploaded in the phase (1.0 = as if every file stayed in memory). */
  rssGrowthPerTotalBytes: number;
}

export interface UploadsResult {
  fileCount: number;
  warmupFiles: number;
  avgFileMB: number;
  minFileMB: number;
  maxFileMB: number;
  imageSize: string;
  gcAvailable: boolean;
  phases: UploadPhaseResult[];
  /** The same files streamed to disk one after another by this process, no HTTP, no checks (for reference). */
  rawWrite: WriteResult;
  /** B5's yardstick (issue #25): the same multipart bodies, sent the same way, streamed to disk whole by a bare node:http server. */
  bareHttp: WriteResult;
  /** B5 again with the gateway and the yardstick each in a process of its own, as users run them (sequential, the client alone in this process). */
  separateProcesses: { gateway: WriteResult; bareHttp: WriteResult };
  /** With --cpu-prof: the separate gateway process's profile over its uploads (its start left out), summarised. */
  gatewayProfile?: ProfileSummary;
}

async function settledRss(): Promise<number> {
  forceGc();
  await sleep(200);
  forceGc();
  return process.memoryUsage().rss;
}

/** Sends a fixture's multipart body to `url`, as every upload of this scenario is sent; `accepted` throws on a reply that is not a success. */
function uploader(url: string, agent: http.Agent, accepted: (fixture: Fixture, result: StreamUploadResult) => void): (fixture: Fixture) => Promise<void> {
  return async (fixture) => accepted(fixture, await streamUpload(url, UPLOAD_ONE, { path: fixture.path, bytes: fixture.bytes, type: 'image/jpeg' }, { agent, timeoutMs: 60_000 }));
}

function storedByGateway(fixture: Fixture, result: StreamUploadResult): void {
  const image = result.body.data?.uploadImage as { byteSize: number } | undefined;
  if (result.status !== 200 || result.body.errors || image?.byteSize !== fixture.bytes) {
    throw new Error(`upload of ${fixture.name} failed: HTTP ${result.status} ${JSON.stringify(result.body.errors ?? result.body.data)}`);
  }
}

function writtenBySink(_fixture: Fixture, result: StreamUploadResult): void {
  if (result.status !== 200) throw new Error(`the bare server answered HTTP ${result.status}`);
}

async function uploadPhase(fixtures: readonly Fixture[], warmup: readonly Fixture[], concurrency: number): Promise<UploadPhaseResult> {
  const gateway = await startBenchGateway();
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const upload = uploader(gateway.url, agent, storedByGateway);
  try {
    const beforeWarmup = await settledRss();
    await pool(warmup, concurrency, upload);
    const baseline = await settledRss();
    const sampler = startMemorySampler(20);
    const elu = startEluMeter();
    const latencies: number[] = [];
    const started = now();
    await pool(fixtures, concurrency, async (fixture) => {
      const t = now();
      await upload(fixture);
      latencies.push(now() - t);
    });
    const wallMs = now() - started;
    const eventLoopUtilization = elu();
    const memory = await sampler.stop();
    const totalBytes = fixtures.reduce((sum, f) => sum + f.bytes, 0);
    const rssGrowth = memory.peakDelta.rssMB * 1024 * 1024;
    return {
      concurrency,
      files: fixtures.length,
      totalMB: toMB(totalBytes),
      wallMs: Math.round(wallMs),
      throughputMBps: round(toMB(totalBytes) / (wallMs / 1000), 1),
      filesPerSecond: round(fixtures.length / (wallMs / 1000), 2),
      latency: summarize(latencies),
      eventLoopUtilization,
      memory,
      warmupRssMB: toMB(baseline - beforeWarmup),
      rssGrowthPerTotalBytes: round(Math.max(0, rssGrowth) / totalBytes, 3),
    };
  } finally {
    agent.destroy();
    await gateway.close();
  }
}

interface WriteResult {
  totalMB: number;
  wallMs: number;
  throughputMBps: number;
}

/** Times `write(fixture, index, dir)` over every fixture, one after another, into a temporary folder. */
async function timedWrites(fixtures: readonly Fixture[], write: (fixture: Fixture, index: number, dir: string) => Promise<void>): Promise<WriteResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-bench-raw-'));
  try {
    const started = now();
    for (const [i, fixture] of fixtures.entries()) await write(fixture, i, dir);
    const wallMs = now() - started;
    const totalMB = toMB(fixtures.reduce((sum, f) => sum + f.bytes, 0));
    return { totalMB, wallMs: Math.round(wallMs), throughputMBps: round(totalMB / (wallMs / 1000), 1) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Copies each file as plain streams (no fsync: the gateway does none either). */
const rawWrite = (fixtures: readonly Fixture[]) => timedWrites(fixtures, (fixture, i, dir) => pipeline(createReadStream(fixture.path), createWriteStream(path.join(dir, String(i)))));

/**
 * Each file's multipart body, sent as the gateway's uploads are, piped whole to disk by a
 * node:http server with nothing else to do; after the same warm-up files as the gateway's phases.
 */
async function bareHttpWrite(fixtures: readonly Fixture[], warmup: readonly Fixture[]): Promise<WriteResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-bench-sink-'));
  const server = uploadSink(dir);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    return await sequentialSends(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, fixtures, warmup, writtenBySink);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The warm-up files, then the timed ones, sent one after another over one kept-alive connection. */
async function sequentialSends(
  url: string,
  fixtures: readonly Fixture[],
  warmup: readonly Fixture[],
  accepted: (fixture: Fixture, result: StreamUploadResult) => void,
): Promise<WriteResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const upload = uploader(url, agent, accepted);
  try {
    await timedWrites(warmup, upload);
    return await timedWrites(fixtures, upload);
  } finally {
    agent.destroy();
  }
}

/**
 * B5 with each server in a process of its own (`npm start`'s gateway, production mode; the yardstick
 * as bench/peers/upload-sink.ts), so neither shares an event loop or a heap with the client: the
 * buffers of the client's reads then count against the client's process, not the server's.
 */
async function separateProcesses(
  fixtures: readonly Fixture[],
  warmup: readonly Fixture[],
  cpuProfileDir: string | undefined,
): Promise<UploadsResult['separateProcesses'] & { gatewayProcess: ServerProcess }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-bench-b5-'));
  const started: ServerProcess[] = [];
  const start = async (script: string, name: string, env: Record<string, string>, ready: string, profileDir?: string) => {
    const server = await startServerProcess(script, { env, logFile: path.join(dir, `${name}.log`), ready: answersOk(ready), cpuProfileDir: profileDir });
    started.push(server);
    return server;
  };
  try {
    const gateway = await start('src/main.ts', 'gateway', { NODE_ENV: 'production', LOG_LEVEL: 'warn', DATA_DIR: path.join(dir, 'gateway'), QWEN_API_KEY: 'unused' }, '/readyz', cpuProfileDir);
    const gatewayResult = await sequentialSends(`${gateway.origin}/graphql`, fixtures, warmup, storedByGateway);
    const sink = await start('bench/peers/upload-sink.ts', 'upload-sink', { SINK_DIR: await mkdtemp(path.join(dir, 'sink-')) }, '/');
    return { gateway: gatewayResult, bareHttp: await sequentialSends(`${sink.origin}/`, fixtures, warmup, writtenBySink), gatewayProcess: gateway };
  } finally {
    await Promise.all(started.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

/** `cpuProfileDir`: also profile the separate gateway process (B5 as deployed) and summarise its profile. */
export async function runUploads(
  photos: readonly Fixture[],
  warmup: readonly Fixture[],
  options: { concurrencies: readonly number[]; cpuProfileDir?: string },
  log: (line: string) => void,
): Promise<UploadsResult> {
  const { concurrencies, cpuProfileDir } = options;
  const phases: UploadPhaseResult[] = [];
  for (const concurrency of concurrencies) {
    log(`  ${photos.length} uploads, ${concurrency === 1 ? 'sequential' : `${concurrency} at a time`} (after ${warmup.length} warm-up uploads)…`);
    phases.push(await uploadPhase(photos, warmup, concurrency));
  }
  log(`  the same ${photos.length} files written straight to disk, then sent to a bare node:http server that streams them to disk (B5's yardstick)…`);
  const raw = await rawWrite(photos);
  const bareHttp = await bareHttpWrite(photos, warmup);
  log('  B5 again with the gateway and the bare server each in a process of its own…');
  const { gatewayProcess, ...separate } = await separateProcesses(photos, warmup, cpuProfileDir);
  // The gateway has stopped by now, so its profile is written.
  const profile = gatewayProcess.profile();
  const sizes = photos.map((p) => p.bytes);
  return {
    fileCount: photos.length,
    warmupFiles: warmup.length,
    avgFileMB: toMB(sizes.reduce((a, b) => a + b, 0) / sizes.length),
    minFileMB: toMB(Math.min(...sizes)),
    maxFileMB: toMB(Math.max(...sizes)),
    imageSize: `${photos[0]!.width}×${photos[0]!.height} JPEG q${photos[0]!.quality}`,
    gcAvailable: forceGc(),
    phases,
    rawWrite: raw,
    bareHttp,
    separateProcesses: separate,
    ...(profile ? { gatewayProfile: profile } : {}),
  };
}
