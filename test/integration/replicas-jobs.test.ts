import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CancelJobDocument, GetJobDocument, JobCompletedDocument, JobUpdatedDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import { PROCESS_START_MS, type ChildGateway } from '../support/child-gateway.js';
import { collect, wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { REPLICA_TEST_TIMEOUT, replicasUnavailable, startReplicas, type Replicas } from '../support/replicas.js';
import { openSubscription } from '../support/subscriptions.js';

// Jobs across gateway replicas (REDIS_URL): BullMQ leases, Redis pub/sub events and cancels.
// Blobs live in one shared folder here: where blobs live across replicas is replicas-storage's subject.

/** Short leases, so a killed replica's job moves on within seconds (production keeps 30 s). */
const LEASE_MS = 2000;
/** Longer than any test holds a call: a replica's start, at most PROCESS_START_MS. */
const HELD_CALL_MS = 2 * PROCESS_START_MS;

let cluster: Replicas;
let a: ChildGateway;
let b: ChildGateway;

beforeAll(async () => {
  if (replicasUnavailable) return;
  // One image in flight per job, so progress comes one image at a time. A killed replica's cross-replica
  // answer claims expire within CLAIM_LEASE_MS (redis-answer-claims.ts), whatever QWEN_DEADLINE_MS is.
  // A call the test holds stays in flight while a replica starts, minutes on a busy machine: no attempt
  // timeout or deadline may end it first (and have it asked again).
  const started = await startReplicas(2, {
    sharedBlobs: true,
    env: { JOB_LEASE_MS: String(LEASE_MS), QWEN_MAX_CONCURRENCY: '1', QWEN_TIMEOUT_MS: String(HELD_CALL_MS), QWEN_DEADLINE_MS: String(HELD_CALL_MS) },
  });
  cluster = started;
  [a, b] = started.replicas as [ChildGateway, ChildGateway];
}, REPLICA_TEST_TIMEOUT);
afterAll(async () => {
  await cluster?.close();
});
// A test that failed while holding the endpoint's replies must not leave the next one waiting on them.
afterEach(() => {
  cluster?.fake.releaseReplies();
  cluster?.fake.setDefaultFault(null);
});

const alive = (child: ChildGateway) => child.process.exitCode === null && child.process.signalCode === null;

/** The live replica whose worker took the job (it logs so), once one has. */
async function runnerOf(jobId: string): Promise<ChildGateway> {
  let runner: ChildGateway | undefined;
  await expect
    .poll(() => (runner = cluster.all.filter(alive).find((child) => child.logs.some((line) => line.includes(jobId) && line.includes('job running on this replica')))), { timeout: 30_000, interval: 50 })
    .toBeDefined();
  return runner!;
}

const other = (child: ChildGateway) => cluster.all.filter(alive).find((candidate) => candidate !== child)!;

async function uploadImages(on: ChildGateway, count: number, seed: number) {
  const images = [];
  for (let i = 0; i < count; i++) images.push(await uploadNew(on.client, { format: 'png', width: 20 + seed + i, height: 16 }));
  return images;
}

async function submit(on: ChildGateway, imageIds: string[], questions: string[]): Promise<string> {
  const response = await on.client.request(SubmitAnalysisDocument, { input: { imageIds, questions } });
  expect(response.errors).toBeUndefined();
  return response.data!.submitAnalysis.id;
}

async function completion(on: ChildGateway, jobId: string) {
  const client = wsClient(on.url);
  try {
    const events = await collect(client, JobCompletedDocument, { id: jobId });
    return events.at(-1)!.data!.jobCompleted;
  } finally {
    await client.dispose();
  }
}

/** Upstream requests (one per image: its prompts are packed) about these images, as "sha prompt" keys. */
function askedAbout(images: Array<{ sha256: string }>, from = 0): string[] {
  const shas = new Set(images.map((image) => image.sha256));
  return cluster.fake.requests.slice(from).filter((r) => r.image && shas.has(r.image.sha256)).flatMap((r) => r.prompts.map((p) => `${r.image!.sha256} ${p}`));
}

describe.skipIf(replicasUnavailable)('jobs across replicas', () => {
  it('a subscriber on either replica sees every event of the job to its end, whichever replica runs it', { timeout: REPLICA_TEST_TIMEOUT }, async () => {
    const images = await uploadImages(a, 4, 0);
    // Nothing is answered until both subscribers are in: each follows the job from its first call on.
    cluster.fake.holdReplies();
    const jobId = await submit(a, images.map((i) => i.id), ['Seen everywhere?']);
    const sockets = [wsClient(a.url), wsClient(b.url)];
    try {
      const follows = sockets.map((socket) => openSubscription(socket, JobUpdatedDocument, { id: jobId }));
      const firsts = await Promise.all(follows.map((follow) => follow.next()));
      cluster.fake.releaseReplies();
      const [onA, onB] = await Promise.all(follows.map(async (follow, i) => [firsts[i]!, ...(await follow.rest())].map((event) => event.data!.jobUpdated)));
      // One of the two followed a job running on the other replica: its events all came over Redis.
      for (const seen of [onA!, onB!]) {
        expect(seen.at(-1)).toMatchObject({ status: 'SUCCEEDED', total: 4, done: 4 });
        // Images finish one at a time: every step of progress is an event, in order.
        const steps = seen.map((job) => job.done);
        expect(steps).toEqual(steps.toSorted((x, y) => x - y));
        expect([...new Set(steps)]).toEqual([0, 1, 2, 3, 4]);
      }
    } finally {
      await Promise.all(sockets.map((socket) => socket.dispose()));
    }
  });

  it('cancelJob sent to the other replica stops the running one and aborts its call', { timeout: REPLICA_TEST_TIMEOUT }, async () => {
    const images = await uploadImages(a, 3, 10);
    cluster.fake.setDefaultFault({ kind: 'hang' });
    const before = cluster.fake.requests.length;
    const jobId = await submit(b, images.map((i) => i.id), ['Cancelled from afar?']);
    const runner = await runnerOf(jobId);
    await expect.poll(() => cluster.fake.requests.length, { timeout: 30_000, interval: 20 }).toBe(before + 1);

    const cancelled = await other(runner).client.request(CancelJobDocument, { id: jobId });
    expect(cancelled.data!.cancelJob.status).toBe('CANCELLED');
    // The runner's call in flight is aborted: the replica got the cancel, not just the database row
    // (the hanging call would otherwise run to QWEN_TIMEOUT_MS, minutes here).
    await expect.poll(() => runner.logs.some((line) => line.includes(jobId) && line.includes('job cancelled by another replica')), { timeout: 30_000, interval: 20 }).toBe(true);
    await expect.poll(() => cluster.fake.requests[before]!.abandoned, { timeout: 30_000, interval: 20 }).toBe(true);
    cluster.fake.setDefaultFault(null);

    // Nothing more of the cancelled job is asked: a later job on the same replicas runs to its end meanwhile.
    const later = await uploadImages(a, 1, 20);
    expect(await completion(a, await submit(a, later.map((i) => i.id), ['After the cancel?']))).toMatchObject({ status: 'SUCCEEDED' });
    expect(askedAbout(images, before)).toHaveLength(1);
    const job = (await a.client.request(GetJobDocument, { id: jobId })).data!.job!;
    expect(job).toMatchObject({ status: 'CANCELLED', done: 0 });
  });

  it('a replica killed mid-job: another finishes it, asking again at most what was in flight', { timeout: REPLICA_TEST_TIMEOUT }, async () => {
    const images = await uploadImages(a, 6, 30);
    const questions = ['First?', 'Second?'];
    // Two images answered, the third one's call in flight when the runner dies.
    cluster.fake.holdReplies();
    cluster.fake.releaseReplies(2);
    const before = cluster.fake.requests.length;
    const jobId = await submit(a, images.map((i) => i.id), questions);
    const runner = await runnerOf(jobId);
    const survivor = other(runner);
    await expect.poll(() => cluster.fake.requests.length, { timeout: 30_000, interval: 20 }).toBe(before + 3);
    await expect
      .poll(async () => (await survivor.client.request(GetJobDocument, { id: jobId })).data!.job!.done, { timeout: 30_000, interval: 50 })
      .toBe(4);
    runner.process.kill('SIGKILL');
    expect(await runner.exited).toBe('SIGKILL');
    const askedByRunner = cluster.fake.requests.length - before;
    cluster.fake.releaseReplies();

    expect(await completion(survivor, jobId)).toMatchObject({ status: 'SUCCEEDED', total: 12, done: 12, failed: 0 });
    expect(askedByRunner).toBe(3); // killed mid-job, not after it
    // QWEN_MAX_CONCURRENCY=1: one call (one image's two prompts) was in flight at the kill; only those are asked twice.
    const items = images.length * questions.length;
    const calls = cluster.fake.requests.slice(before);
    const summary = calls.map((r) => `${r.image?.sha256.slice(0, 8)} ${r.prompts.join('|')}${r.abandoned ? ' (abandoned)' : ''}`).join('\n');
    expect(calls.length, summary).toBeLessThanOrEqual(items + 1);
    const asked = askedAbout(images, before);
    expect(asked.length, summary).toBeLessThanOrEqual(items + questions.length);
    const repeated = asked.filter((key, i) => asked.indexOf(key) !== i);
    expect(repeated.length, summary).toBeLessThanOrEqual(questions.length);
    expect(survivor.logs.some((line) => line.includes('stalled job queued again'))).toBe(true);
  });

  it('a replica starting while another runs a job leaves that job alone', { timeout: REPLICA_TEST_TIMEOUT }, async () => {
    const [live] = cluster.all.filter(alive) as [ChildGateway];
    const images = await uploadImages(live, 4, 50);
    // The job's first call stays in flight until the newcomer is up, however long its start takes.
    cluster.fake.holdReplies();
    const before = cluster.fake.requests.length;
    const jobId = await submit(live, images.map((i) => i.id), ['Left alone?']);
    const runner = await runnerOf(jobId);
    await expect.poll(() => cluster.fake.requests.length, { timeout: 30_000, interval: 20 }).toBe(before + 1);

    // Listening means its start-up is done: unfinished jobs re-added, its worker taking jobs.
    const newcomer = await cluster.start();
    expect((await newcomer.client.request(GetJobDocument, { id: jobId })).data!.job).toMatchObject({ status: 'RUNNING', done: 0 });
    cluster.fake.releaseReplies();
    expect(await completion(newcomer, jobId)).toMatchObject({ status: 'SUCCEEDED', done: 4 });
    const asked = askedAbout(images, before);
    expect(asked.toSorted()).toEqual(images.map((image) => `${image.sha256} Left alone?`).toSorted());
    expect(newcomer.logs.some((line) => line.includes(jobId) && line.includes('job running on this replica'))).toBe(false);
    expect(alive(runner)).toBe(true);
  });

  it('SIGTERM: the call in flight is recorded, and another replica finishes the job without asking it again', { timeout: REPLICA_TEST_TIMEOUT }, async () => {
    if (cluster.all.filter(alive).length < 2) await cluster.start();
    const [live] = cluster.all.filter(alive) as [ChildGateway];
    const images = await uploadImages(live, 3, 60);
    // The first call is answered only once the runner is shutting down: it lands within the grace period.
    cluster.fake.holdReplies();
    const before = cluster.fake.requests.length;
    const jobId = await submit(live, images.map((i) => i.id), ['Handed over?']);
    const runner = await runnerOf(jobId);
    await expect.poll(() => cluster.fake.requests.length, { timeout: 30_000, interval: 20 }).toBe(before + 1);
    runner.process.kill('SIGTERM');
    // Logged in the same tick as its jobs are told to take no more work.
    await expect.poll(() => runner.logs.some((line) => line.includes('shutting down')), { timeout: 30_000, interval: 20 }).toBe(true);
    cluster.fake.releaseReplies();
    expect(await runner.exited).toBe(0);

    const survivor = other(runner);
    expect(await completion(survivor, jobId)).toMatchObject({ status: 'SUCCEEDED', done: 3 });
    expect(askedAbout(images, before).toSorted()).toEqual(images.map((image) => `${image.sha256} Handed over?`).toSorted());
    // Handed back to the waiting list, not recovered as stalled after the lease.
    expect(survivor.logs.some((line) => line.includes(jobId) && line.includes('job running on this replica'))).toBe(true);
    expect(survivor.logs.some((line) => line.includes(jobId) && line.includes('stalled job queued again'))).toBe(false);
  });

  it('replicas starting together on an unfinished job run each item once', { timeout: REPLICA_TEST_TIMEOUT }, async () => {
    const [live] = cluster.all.filter(alive) as [ChildGateway];
    const images = await uploadImages(live, 4, 40);
    cluster.fake.setDefaultFault({ kind: 'hang' });
    const before = cluster.fake.requests.length;
    const jobId = await submit(live, images.map((i) => i.id), ['Once?', 'Only once?']);
    await expect.poll(() => cluster.fake.requests.length, { timeout: 30_000, interval: 20 }).toBe(before + 1);
    // Every replica gone, and Redis knows nothing of the job (a fresh Redis, or a first start with REDIS_URL):
    // the database's unfinished job is all that is left.
    for (const child of cluster.all.filter(alive)) child.process.kill('SIGKILL');
    await Promise.all(cluster.all.map((child) => child.exited));
    await deleteClusterKeys();
    cluster.fake.setDefaultFault(null);
    const afterKill = cluster.fake.requests.length;

    const together = await cluster.startMany(2);
    expect(await completion(together[1]!, jobId)).toMatchObject({ status: 'SUCCEEDED', total: 8, done: 8 });
    const asked = askedAbout(images, afterKill);
    expect(asked.toSorted()).toEqual(images.flatMap((image) => ['Once?', 'Only once?'].map((q) => `${image.sha256} ${q}`)).toSorted());
    expect(together.filter((child) => child.logs.some((line) => line.includes(jobId) && line.includes('job running on this replica')))).toHaveLength(1);
  });
});

async function deleteClusterKeys(): Promise<void> {
  const redis = cluster.redis();
  const keys = await redis.keys(`${cluster.env.REDIS_PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
}
