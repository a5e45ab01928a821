/**
 * Servers the scenarios run as processes of their own, as users run them:
 * the gateway (`src/main.ts`, run as `npm start` runs it: dist/main.js, built
 * from the sources once per run) and the peers it is measured against, each
 * compiled the same way, so no side pays a TypeScript loader. Each logs to a
 * file in its own folder, so writing logs costs the server, never this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer, compile, SERVER_ENTRY } from '../../src/cli/build-server.js';
import type { HopTimeline } from '../peers/hop-timeline.js';
import { mainThreadProfile, summarizeProfile, type ProfileSummary } from './profile-buckets.js';
import { sleep } from './stats.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  /** http://127.0.0.1:PORT */
  origin: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  /**
   * Started with `cpuProfileDir`, once stopped: where its busy time went from the moment it
   * first answered ready (its start left out), from the profile it wrote as it exited.
   */
  profile(): ProfileSummary | undefined;
}

/** A free loopback port (the OS picks it; released before the server binds it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

let serverBuilt: Promise<void> | undefined;
const COMPILED_PEERS = path.join(ROOT, 'bench/results/.build');

/**
 * The JavaScript that runs `script` (a path from the project's root): the gateway's build for
 * src/main.ts, else the script compiled with the project's modules it imports (the peers, the
 * fake endpoint, the hop-timeline preload), with the options `npm run build` uses.
 */
async function compiled(script: string): Promise<string> {
  if (script === 'src/main.ts') {
    serverBuilt ??= buildServer();
    await serverBuilt;
    return SERVER_ENTRY;
  }
  await compile([script], { outbase: ROOT, outdir: COMPILED_PEERS, bundle: true });
  return path.relative(ROOT, path.join(COMPILED_PEERS, script.replace(/\.ts$/, '.js')));
}

/** A readiness probe: `path` on the server answers 2xx. */
export const answersOk = (path: string) => async (origin: string) => (await fetch(`${origin}${path}`)).ok;

/**
 * Starts `script` compiled (see `compiled`) with `env` (PORT added) and waits until `ready(origin)`
 * answers true; fails with the log's path if it exits first. `preload`: modules imported before the
 * script, compiled the same way, e.g. bench/peers/hop-timeline.ts.
 * `cpuProfileDir`: the process writes its CPU profile there as it exits (see `profile()`).
 */
export async function startServerProcess(
  script: string,
  options: { env: Record<string, string>; logFile: string; ready: (origin: string) => Promise<boolean>; preload?: string[]; cpuProfileDir?: string },
): Promise<ServerProcess> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const log = openSync(options.logFile, 'a');
  const { cpuProfileDir } = options;
  const profiling = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  const preloads = (await Promise.all((options.preload ?? []).map(compiled))).flatMap((module) => ['--import', `./${module}`]);
  const child: ChildProcess = spawn(process.execPath, [...profiling, '--enable-source-maps', ...preloads, await compiled(script)], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited: number | string | null = null;
  const exit = once(child, 'exit').then(([code, signal]) => {
    exited = (code ?? signal) as number | string;
  });
  const deadline = Date.now() + 120_000; // a backstop: loading and migrating on a busy machine
  for (;;) {
    if (exited !== null) throw new Error(`${script} exited (${exited}) before it was ready; see ${options.logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} was not ready within 120 s; see ${options.logFile}`);
    }
    if (await options.ready(origin).catch(() => false)) break;
    await sleep(100);
  }
  // On the monotonic clock in microseconds, a CPU profile's clock: what the profile holds before is the start.
  const readyAtMicros = Number(process.hrtime.bigint() / 1000n);
  return {
    origin,
    pid: child.pid!,
    logFile: options.logFile,
    profile: () => {
      const file = cpuProfileDir ? mainThreadProfile(cpuProfileDir, child.pid!) : null;
      return file ? summarizeProfile(file, { fromMicros: readyAtMicros }) : undefined;
    },
    stop: async () => {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}

/**
 * The medians a server started with `preload: ['bench/peers/hop-timeline.ts']` has kept so far:
 * asks with SIGUSR2 and waits for it to write `file` (its HOP_TIMELINE_FILE).
 */
export async function readHopTimeline(server: ServerProcess, file: string): Promise<HopTimeline> {
  await rm(file, { force: true });
  process.kill(server.pid, 'SIGUSR2');
  const deadline = Date.now() + 30_000; // a backstop: the server answers as soon as its event loop is free
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null) return JSON.parse(text) as HopTimeline;
    if (Date.now() > deadline) throw new Error(`no timeline from ${server.origin} within 30 s (is hop-timeline.ts preloaded?)`);
    await sleep(20);
  }
}
