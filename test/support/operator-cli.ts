import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** For tests that start the CLI as processes: each transpiles and boots on a possibly busy machine (a backstop). */
export const CLI_TEST_TIMEOUT = 120_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The operator's CLIs (src/cli/<name>.ts), each run as `npm run <name> -- ...` runs it. */
export type OperatorCli = 'keys' | 'tenants' | 'fingerprints';

/** The CLI's environment: the test's, without a database or Redis of its own, plus `env` (DATA_DIR, DATABASE_URL, REDIS_URL...). */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
  delete base.DATABASE_URL;
  delete base.REDIS_URL;
  return { ...base, ...env };
}

function collectOutput(child: ReturnType<typeof spawn>): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI as a process of its own, stdin not a terminal (as in a script), to its end. */
export function runCli(cli: OperatorCli, args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', `src/cli/${cli}.ts`, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  return collectOutput(child);
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), as an operator at a
 * terminal would, and types `reply` once the output shows `prompt`. The
 * terminal merges stderr into stdout.
 */
export async function runCliOnTerminal(cli: OperatorCli, args: string[], env: Record<string, string>, dialogue: { prompt: RegExp; reply: string }): Promise<CliRun> {
  const command = [process.execPath, '--import', 'tsx', `src/cli/${cli}.ts`, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const run = collectOutput(child);
  let seen = '';
  const prompted = new Promise<void>((resolve) => {
    child.stdout!.on('data', (chunk: string) => {
      seen += chunk;
      if (dialogue.prompt.test(seen)) resolve();
    });
  });
  await Promise.race([prompted, once(child, 'close')]);
  if (child.exitCode === null) child.stdin!.write(`${dialogue.reply}\n`);
  return run;
}
