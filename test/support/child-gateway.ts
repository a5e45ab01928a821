import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { SERVER_ENTRY } from '../../src/cli/build-server.js';
import { GraphQLClient } from './client.js';

export interface ChildGateway {
  process: ChildProcess;
  url: string;
  client: GraphQLClient;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** Log lines seen so far (JSON, one per line). */
  logs: string[];
}

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * How long a child may take to listen: a backstop on what no test is about. It loads the whole
 * gateway, which takes minutes when busy loops and other suites share two cores.
 */
export const PROCESS_START_MS = 240_000;

/**
 * Starts the gateway as its own process, the way `npm start` does (dist/main.js, built by the
 * suite's global setup from the current sources), and waits until it listens.
 */
export async function spawnGateway(env: Record<string, string>): Promise<ChildGateway> {
  const child = spawn(process.execPath, ['--enable-source-maps', SERVER_ENTRY], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${logs.join('\n')}`)), PROCESS_START_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      const match = /"url":"([^"]+)"/.exec(line);
      if (match && line.includes('listening')) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
    void exited.then((code) => reject(new Error(`gateway exited (${code}) before listening:\n${logs.join('\n')}`)));
  });
  return { process: child, url, client: new GraphQLClient(url), exited, logs };
}
