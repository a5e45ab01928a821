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
      server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      // Queued until the server accepts connections (ioredis retries every 50 ms).
      const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
      client.on('error', () => {});
      try {
        await client.ping();
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
