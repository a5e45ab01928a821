import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface OwnRedis {
  url: string;
  /** Starts the server (again) on the same port; resolves once it answers. */
  start(): Promise<void>;
  /** Kills it: every connection drops and new ones are refused (an outage), until `start`. */
  stop(): Promise<void>;
}

/** A Redis server of the test's own (the shared one must stay up for the other suites), stopped and started again at will. */
export async function ownRedis(): Promise<OwnRedis> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  return {
    url,
    start: async () => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      server = child;
      // A missing binary or a server that dies at once fails the test with why, instead of waiting forever for a ping.
      const failed = new Promise<never>((_, reject) => {
        child.once('error', (error) => reject(new Error(`could not start redis-server (a local binary is needed: apt-get install redis-server): ${error.message}`)));
        child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}) before it answered`)));
      });
      failed.catch(() => {}); // it also settles at the kill in stop(), long after the race below
      // Queued until the server accepts connections (ioredis retries every 50 ms).
      const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
      client.on('error', () => {});
      try {
        await Promise.race([client.ping(), failed]);
      } finally {
        client.disconnect();
      }
    },
    stop: async () => {
      if (!server || server.exitCode !== null) return;
      server.kill('SIGKILL');
      await once(server, 'exit');
    },
  };
}
