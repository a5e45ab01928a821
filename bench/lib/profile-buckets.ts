/**
 * Where a CPU profile's busy time goes: self time grouped by package (a
 * node_modules package, a Node built-in area, the gateway's own src/ folder or
 * its build in dist/, GC), as a share of the non-idle samples. For the profiles `--cpu-prof`
 * writes (bench/results/profiles):
 *
 *   npx tsx bench/lib/profile-buckets.ts bench/results/profiles/<file>.cpuprofile [top=15]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Monotonic clock, microseconds (the clock of process.hrtime). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Node's own areas, by the built-in module a frame belongs to. */
const NODE_AREAS: [RegExp, string][] = [
  [/^node:(_http|http|internal\/http|internal\/streams|stream|net|internal\/stream_base|internal\/net)/, 'node: HTTP, sockets and streams'],
  [/^node:(async_hooks|internal\/async_hooks|internal\/async_local_storage)/, 'node: AsyncLocalStorage and async hooks'],
  [/^node:(internal\/process\/task_queues|internal\/timers|timers)/, 'node: task queues and timers'],
  [/^node:internal\/(modules|deps\/cjs-module-lexer|bootstrap)/, 'node: module loading (start-up)'],
  [/^node:(events|internal\/abort_controller|internal\/event_target)/, 'node: events and abort signals'],
  [/^node:internal\/deps\/undici/, 'node: fetch (undici)'],
  [/^node:(crypto|internal\/crypto)/, 'node: crypto (hashing, ids)'],
  [/^node:(fs|internal\/fs)/, 'node: files'],
  [/^node:(buffer|internal\/buffer)/, 'node: buffers'],
];

/** Native frames that are the socket writes of HTTP responses. */
const SOCKET_WRITES = new Set(['writev', 'writeString', 'writeBuffer', 'writeUtf8String', 'writeLatin1String']);
/** Native frames of file I/O. */
const FILE_IO = new Set(['read', 'writeFileUtf8', 'openFileHandle', 'close', 'fstat', 'open', 'rename', 'unlink']);

export function bucketOf(frame: ProfileNode['callFrame']): string {
  const { functionName, url } = frame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 and native (program)';
  if (functionName === '(idle)') return '(idle)';
  if (url === '') {
    if (SOCKET_WRITES.has(functionName)) return 'node: HTTP, sockets and streams';
    if (FILE_IO.has(functionName)) return 'node: files';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const nodeArea = NODE_AREAS.find(([pattern]) => pattern.test(url));
  if (nodeArea) return nodeArea[1];
  if (url.startsWith('node:')) return 'node: other';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  // The server runs from dist/, which mirrors src/ (npm run build): named by the source it came from.
  const own = /\/(?:src|dist)\//.exec(url);
  if (own) return `gateway: src/${url.slice(own.index + own[0].length).replace(/\.js$/, '.ts').split('/').slice(0, 2).join('/')}`;
  return url;
}

/** Self time by bucket; `fromMicros` (monotonic, as process.hrtime): only the samples taken from then on. */
export function profileBuckets(profile: CpuProfile, fromMicros = 0): { bucket: string; ms: number; share: number }[] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const totals = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at < fromMicros) return;
    const bucket = bucketOf(frames.get(id) ?? { functionName: '', url: '' });
    totals.set(bucket, (totals.get(bucket) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  totals.delete('(idle)');
  const busy = [...totals.values()].reduce((sum, value) => sum + value, 0);
  return [...totals]
    .map(([bucket, micros]) => ({ bucket, ms: Math.round(micros / 1000), share: micros / busy }))
    .sort((a, b) => b.ms - a.ms);
}

/** A profile's busy time, the gateway's own share of it and its largest buckets: what the report says of a profiled run. */
export interface ProfileSummary {
  file: string;
  busyMs: number;
  /** Share of busy time in the gateway's own code (src/). */
  gatewayShare: number;
  top: { bucket: string; ms: number; share: number }[];
}

/** `fromMicros`: leave out what came before (a server's start, with ServerProcess.readyAtMicros). */
export function summarizeProfile(file: string, options: { top?: number; fromMicros?: number } = {}): ProfileSummary {
  const { top = 8, fromMicros = 0 } = options;
  const buckets = profileBuckets(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, fromMicros);
  const busyMs = buckets.reduce((sum, bucket) => sum + bucket.ms, 0);
  const gatewayMs = buckets.filter((bucket) => bucket.bucket.startsWith('gateway:')).reduce((sum, bucket) => sum + bucket.ms, 0);
  return { file, busyMs, gatewayShare: gatewayMs / busyMs, top: buckets.slice(0, top) };
}

/** The main thread's profile that process `pid` wrote into `dir` on exit (`CPU.<date>.<time>.<pid>.0.<n>.cpuprofile`), if any. */
export function mainThreadProfile(dir: string, pid: number): string | null {
  const name = readdirSync(dir).find((file) => file.includes(`.${pid}.0.`) && file.endsWith('.cpuprofile'));
  return name ? path.join(dir, name) : null;
}

if (process.argv[1]?.endsWith('profile-buckets.ts')) {
  const [file, top = '15'] = process.argv.slice(2);
  if (!file) throw new Error('usage: npx tsx bench/lib/profile-buckets.ts <file.cpuprofile> [top]');
  const summary = summarizeProfile(file, { top: Number(top) });
  console.log(`busy ${(summary.busyMs / 1000).toFixed(1)} s, of which the gateway's own code (src/) ${(summary.gatewayShare * 100).toFixed(1)} %`);
  for (const { bucket, ms, share } of summary.top) console.log(`${(share * 100).toFixed(1).padStart(5)} %  ${String(ms).padStart(7)} ms  ${bucket}`);
}
