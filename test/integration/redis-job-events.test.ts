import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobCompletion, jobUpdates } from '../../src/modules/jobs/job-streams.js';
import type { JobRecord } from '../../src/modules/jobs/job.repository.js';
import { RedisJobEvents } from '../../src/modules/jobs/redis-job-events.js';
import { createLogger } from '../../src/platform/logger.js';
import { RedisConnections } from '../../src/platform/redis/connection.js';
import { ownRedis, type OwnRedis } from '../support/own-redis.js';
import { REDIS_URL, redisMissing } from '../support/services.js';

// RedisJobEvents on the run's Redis (test/support/services.ts): two instances stand for two replicas.

const job = (id: string, status: string, done: number): JobRecord => ({
  id, tenant: 'default', apiKeyId: null, status, total: 2, done, failed: 0, error: null, createdAt: new Date(1000), startedAt: new Date(2000), finishedAt: status === 'SUCCEEDED' ? new Date(3000) : null,
});

async function drain<T>(stream: AsyncGenerator<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of stream) values.push(value);
  return values;
}

describe.skipIf(redisMissing)('job events over Redis', () => {
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const logger = createLogger('silent');
  const stored = new Map<string, JobRecord>();
  const reread = async (id: string) => stored.get(id) ?? null;
  let a: RedisConnections;
  let b: RedisConnections;
  let onA: RedisJobEvents;
  let onB: RedisJobEvents;
  let admin: Redis;

  beforeAll(async () => {
    const url = REDIS_URL!; // the suite is skipped without one
    a = new RedisConnections({ url, prefix }, logger);
    b = new RedisConnections({ url, prefix }, logger);
    onA = new RedisJobEvents(a, reread, logger);
    onB = new RedisJobEvents(b, reread, logger);
    await Promise.all([onA.listen(), onB.listen()]);
    admin = new Redis(url);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), admin?.quit()]);
  });

  it("delivers another replica's snapshots, dates and all, in order, to the end", async () => {
    stored.set('j1', job('j1', 'QUEUED', 0));
    const stream = await jobUpdates(onB, reread, 'j1');
    const seen = drain(stream);
    onA.publish(job('j1', 'RUNNING', 0));
    onA.publish(job('j1', 'RUNNING', 1));
    onA.publish(job('j1', 'SUCCEEDED', 2));
    const events = await seen;
    expect(events.map((j) => `${j.status}:${j.done}`)).toEqual(['QUEUED:0', 'RUNNING:0', 'RUNNING:1', 'SUCCEEDED:2']);
    expect(events.at(-1)!.finishedAt).toEqual(new Date(3000));
  });

  it('delivers an end published on another replica while the subscriber reads the state', async () => {
    // The read returns the stale RUNNING state; the final state is published on A while it is in flight.
    const racing = async () => {
      onA.publish(job('j2', 'SUCCEEDED', 2));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return job('j2', 'RUNNING', 1);
    };
    const completed = await drain(await jobCompletion(onB, racing, 'j2'));
    expect(completed.map((j) => j.status)).toEqual(['SUCCEEDED']);
  });

  it('after losing its Redis connection, re-reads the jobs it follows, so an end it missed still ends their streams', async () => {
    stored.set('j3', job('j3', 'RUNNING', 1));
    const seen = drain(await jobCompletion(onB, reread, 'j3'));
    // The job ends while the replicas' subscribers are cut off: its message never reaches them (here it is not
    // even sent), only the database knows. Reconnected, B reads the job again and the stream ends.
    stored.set('j3', job('j3', 'SUCCEEDED', 2));
    const subscribers = String(await admin.client('LIST'))
      .split('\n')
      .filter((line) => line.includes(`name=${prefix}:channel-${prefix}:jobs:events`))
      .map((line) => /id=(\d+)/.exec(line)![1]!);
    expect(subscribers).toHaveLength(2); // A's and B's
    for (const id of subscribers) await admin.client('KILL', 'ID', id);
    expect((await seen).map((j) => `${j.status}:${j.done}`)).toEqual(['SUCCEEDED:2']);
  });

  it('listens again after losing its connection: a snapshot published afterwards still reaches the other replica', async () => {
    const subscribers = async () =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${prefix}:channel-${prefix}:jobs:events`))
        .map((line) => /id=(\d+)/.exec(line)![1]!);
    const before = await subscribers();
    for (const id of before) await admin.client('KILL', 'ID', id);
    // Both replicas are back once Redis counts two subscribers of the channel on new connections.
    const listeners = async () => ((await admin.call('PUBSUB', 'NUMSUB', `${prefix}:jobs:events`)) as [string, number])[1];
    await expect.poll(async () => (await subscribers()).filter((id) => !before.includes(id)), { timeout: 15_000 }).toHaveLength(2);
    await expect.poll(listeners, { timeout: 15_000 }).toBe(2);
    stored.set('j4', job('j4', 'RUNNING', 1));
    const seen = drain(await jobCompletion(onB, reread, 'j4'));
    onA.publish(job('j4', 'SUCCEEDED', 2));
    expect((await seen).map((j) => `${j.status}:${j.done}`)).toEqual(['SUCCEEDED:2']);
  });
});

describe.skipIf(REDIS_URL === 'off')('job events while Redis is unreachable', () => {
  const logger = createLogger('silent');
  const stored = new Map<string, JobRecord>();
  const reread = async (id: string) => stored.get(id) ?? null;
  let redis: OwnRedis;
  let connections: RedisConnections;
  let events: RedisJobEvents;

  beforeAll(async () => {
    // A replica whose first subscriber comes while Redis is away: nothing listens on its port yet.
    redis = await ownRedis();
    connections = new RedisConnections({ url: redis.url, prefix: `test-${randomBytes(6).toString('hex')}` }, logger);
    events = new RedisJobEvents(connections, reread, logger);
  });
  afterAll(async () => {
    await connections?.close();
    await redis?.stop();
  });

  it("sends the current state at once and this replica's own events, and catches up from the database once Redis is back", async () => {
    stored.set('j5', job('j5', 'QUEUED', 0));
    stored.set('j6', job('j6', 'RUNNING', 1));
    const own = await jobUpdates(events, reread, 'j5');
    expect((await own.next()).value).toMatchObject({ status: 'QUEUED' });
    events.publish(job('j5', 'RUNNING', 1));
    expect((await own.next()).value).toMatchObject({ status: 'RUNNING', done: 1 });
    await own.return(undefined);

    // j6 ends on another replica while this one cannot hear the channel: once Redis answers, the database tells.
    const other = drain(await jobUpdates(events, reread, 'j6'));
    stored.set('j6', job('j6', 'SUCCEEDED', 2));
    await redis.start();
    expect((await other).map((j) => `${j.status}:${j.done}`)).toEqual(['RUNNING:1', 'SUCCEEDED:2']);
  });
});
