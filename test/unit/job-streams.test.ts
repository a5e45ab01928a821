import { describe, expect, it } from 'vitest';
import { InProcessJobEvents, type JobEvents } from '../../src/modules/jobs/job-events.js';
import { jobCompletion, jobUpdates } from '../../src/modules/jobs/job-streams.js';
import type { ReadJob } from '../../src/modules/jobs/job-streams.js';
import type { JobRecord } from '../../src/modules/jobs/job.repository.js';

const job = (status: string, done: number): JobRecord => ({
  id: 'j1', tenant: 'default', apiKeyId: null, status, total: 2, done, failed: 0, error: null, createdAt: new Date(0), startedAt: null, finishedAt: null,
});

/** A repository whose read of the current state is slow, and an action that runs while it is pending. */
function racingRead(readResult: JobRecord, duringRead: () => void): ReadJob {
  return async () => {
    duringRead();
    await new Promise((resolve) => setTimeout(resolve, 10));
    return readResult;
  };
}

async function drain<T>(stream: AsyncGenerator<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of stream) values.push(value);
  return values;
}

describe('job streams', () => {
  it('delivers the end that happens between subscribing and reading the state', async () => {
    const events = new InProcessJobEvents();
    // The read returns the stale RUNNING state; the final state is published while it is in flight.
    const repo = racingRead(job('RUNNING', 1), () => events.publish(job('SUCCEEDED', 2)));
    const completed = await drain(await jobCompletion(events, repo, 'j1'));
    expect(completed.map((j) => j.status)).toEqual(['SUCCEEDED']);
  });

  it('skips stale and repeated snapshots, ends after the final one', async () => {
    const events = new InProcessJobEvents();
    const repo = racingRead(job('RUNNING', 1), () => {
      events.publish(job('RUNNING', 0)); // older than what the read returns
      events.publish(job('RUNNING', 1)); // the same
    });
    const stream = await jobUpdates(events, repo, 'j1');
    const seen = drain(stream);
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.publish(job('RUNNING', 2));
    events.publish(job('SUCCEEDED', 2));
    events.publish(job('SUCCEEDED', 2));
    expect((await seen).map((j) => `${j.status}:${j.done}`)).toEqual(['RUNNING:1', 'RUNNING:2', 'SUCCEEDED:2']);
  });

  it('fails before streaming for an unknown job, and leaves no listener behind', async () => {
    // JobEvents' contract: a subscription ends when its signal aborts.
    const signals: AbortSignal[] = [];
    const inner = new InProcessJobEvents();
    const events: JobEvents = {
      publish: (j) => inner.publish(j),
      subscribe: (id, signal) => {
        signals.push(signal);
        return inner.subscribe(id, signal);
      },
    };
    const repo: ReadJob = async () => null;
    await expect(jobCompletion(events, repo, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(signals.map((signal) => signal.aborted)).toEqual([true]);
  });
});
