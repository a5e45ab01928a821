import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';

/**
 * `npm run test:loaded [-- vitest args]`: the suite while busy loops take
 * every core, as on a shared CI machine, so a test that races the wall clock
 * fails here rather than once in a while there. LOAD_LOOPS sets how many
 * loops spin (default 8). The loops are threads of this process: they end
 * with it, however it ends.
 */
const loops = Number(process.env.LOAD_LOOPS ?? 8);
if (!Number.isInteger(loops) || loops < 0) {
  console.error(`LOAD_LOOPS must be a whole number of busy loops, not "${process.env.LOAD_LOOPS}"`);
  process.exit(2);
}

const busy = Array.from({ length: loops }, () => new Worker('for (;;) {}', { eval: true }));
console.error(`test:loaded: ${loops} busy loops running`);

const suite = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/vitest.config.ts', ...process.argv.slice(2)], {
  cwd: new URL('../..', import.meta.url).pathname,
  stdio: 'inherit',
});
// Ctrl-C reaches vitest too (same process group): wait for it to finish rather than die first.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => suite.kill('SIGTERM'));

suite.on('exit', (code, signal) => {
  void Promise.all(busy.map((worker) => worker.terminate())).then(() => process.exit(code ?? (signal ? 1 : 0)));
});
