import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CAPTION_PROMPTS } from '../../src/modules/answers/prompts.js';
import {
  AskQuestionDocument,
  CancelJobDocument,
  GetJobDocument,
  JobCompletedDocument,
  JobUpdatedDocument,
  ListJobsDocument,
  SubmitAnalysisDocument,
  type AnalysisInput,
} from '../generated/graphql.js';
import { collect, errorCodes, wsClient } from '../support/client.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { openSubscription } from '../support/subscriptions.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { JOB_MAX_ITEMS: '100', JOB_ITEM_RETRIES: '2', JOB_RETRY_DELAY_MS: '20' } });
});
afterAll(() => h.close());
afterEach(() => {
  h.fake.reset();
  h.fake.setDelay(0);
  h.fake.setDefaultFault(null);
  h.fake.releaseReplies();
});

let shade = 0;
const newImages = (count: number) =>
  Promise.all(
    Array.from({ length: count }, () => uploadNew(h.gateway.client, { format: 'png', width: 32, height: 24, color: `#${(0x200000 + ++shade * 7919).toString(16).slice(-6)}` })),
  );

async function submit(input: AnalysisInput) {
  const response = await h.gateway.client.request(SubmitAnalysisDocument, { input });
  expect(response.errors).toBeUndefined();
  return response.data!.submitAnalysis;
}

async function completion(id: string) {
  const client = wsClient(h.gateway.server.url);
  try {
    const events = await collect(client, JobCompletedDocument, { id });
    expect(events).toHaveLength(1);
    return events[0]!.data!.jobCompleted;
  } finally {
    await client.dispose();
  }
}

describe('submitAnalysis', () => {
  it('answers at once with a QUEUED job, then runs it with one upstream call per image', async () => {
    const images = await newImages(3);
    const job = await submit({ imageIds: images.map((i) => i.id), captionStyles: ['BRIEF'], questions: ['What is it?', 'Where is it?'] });
    expect(job).toMatchObject({ status: 'QUEUED', total: 9, done: 0, failed: 0, startedAt: null, finishedAt: null });

    const final = await completion(job.id);
    expect(final).toMatchObject({ id: job.id, status: 'SUCCEEDED', total: 9, done: 9, failed: 0, error: null });
    expect(final.startedAt).not.toBeNull();
    expect(final.finishedAt).not.toBeNull();
    expect(h.fake.requests).toHaveLength(3);
    expect(h.fake.requests.every((r) => r.packed && r.prompts.length === 3)).toBe(true);

    const read = (await h.gateway.client.request(GetJobDocument, { id: job.id })).data!.job!;
    expect(read.captions).toHaveLength(3);
    expect(read.questions).toHaveLength(6);
    expect(read.items.map((i) => i.status)).toEqual(Array(9).fill('SUCCEEDED'));
    expect(read.items[0]).toMatchObject({ kind: 'CAPTION', style: 'BRIEF', prompt: CAPTION_PROMPTS.BRIEF, image: { id: images[0]!.id } });
    expect(read.items[1]!.question!.answer).toMatch(/^32x24 #[0-9a-f]{6} :: What is it\?$/);
  });

  it('does not ask again what is already cached, and shares answers with the synchronous API', async () => {
    const [image] = await newImages(1);
    await h.gateway.client.request(AskQuestionDocument, { imageId: image!.id, question: 'Cached already?' });
    h.fake.reset();
    const job = await submit({ imageIds: [image!.id], questions: ['Cached already?', 'New one?'] });
    expect((await completion(job.id)).done).toBe(2);
    expect(h.fake.requests.map((r) => r.prompts)).toEqual([['New one?']]);
  });

  it('fails one image’s items (MODEL_REJECTED), not the job', async () => {
    const images = await newImages(2);
    h.fake.inject({ kind: 'status', status: 400 });
    const job = await submit({ imageIds: images.map((i) => i.id), questions: ['A?', 'B?'] });
    const final = await completion(job.id);
    expect(final).toMatchObject({ status: 'SUCCEEDED', done: 2, failed: 2 });
    const items = (await h.gateway.client.request(GetJobDocument, { id: job.id })).data!.job!.items;
    const failed = items.filter((i) => i.status === 'FAILED');
    expect(failed).toHaveLength(2);
    expect(new Set(failed.map((i) => i.image?.id)).size).toBe(1);
    expect(failed.every((i) => i.errorCode === 'MODEL_REJECTED' && i.error)).toBe(true);
    expect(h.fake.requests).toHaveLength(2); // a refusal is not retried
  });

  it('ends FAILED when every item failed', async () => {
    const [image] = await newImages(1);
    h.fake.setDefaultFault({ kind: 'status', status: 400 });
    const job = await submit({ imageIds: [image!.id], captionStyles: ['DETAILED'] });
    const final = await completion(job.id);
    expect(final).toMatchObject({ status: 'FAILED', done: 0, failed: 1 });
    expect(final.error).toMatch(/failed/);
  });

  it('retries transient upstream failures before giving up on an item', async () => {
    const [image] = await newImages(1);
    h.fake.inject({ kind: 'status', status: 503 }, { kind: 'reset' });
    const job = await submit({ imageIds: [image!.id], questions: ['Flaky?'] });
    expect(await completion(job.id)).toMatchObject({ status: 'SUCCEEDED', done: 1, failed: 0 });
    expect(h.fake.requests).toHaveLength(3);
  });

  it.each<[string, (ids: string[]) => AnalysisInput, string]>([
    ['an unknown image', (ids) => ({ imageIds: [...ids, 'missing-image'], questions: ['Q?'] }), 'NOT_FOUND'],
    ['no images', () => ({ imageIds: [], questions: ['Q?'] }), 'BAD_USER_INPUT'],
    ['nothing to ask', (ids) => ({ imageIds: ids, captionStyles: [], questions: [] }), 'BAD_USER_INPUT'],
    ['an empty question', (ids) => ({ imageIds: ids, questions: ['  '] }), 'BAD_USER_INPUT'],
    ['more items than JOB_MAX_ITEMS', (ids) => ({ imageIds: ids, questions: Array.from({ length: 51 }, (_, i) => `Q${i}?`) }), 'BAD_USER_INPUT'],
  ])('refuses %s up front and creates no job', async (_name, input, code) => {
    const images = await newImages(2);
    const before = (await h.gateway.client.request(ListJobsDocument, { first: 100 })).data!.jobs.edges.length;
    const response = await h.gateway.client.request(SubmitAnalysisDocument, { input: input(images.map((i) => i.id)) });
    expect(errorCodes(response)).toEqual([code]);
    expect((await h.gateway.client.request(ListJobsDocument, { first: 100 })).data!.jobs.edges).toHaveLength(before);
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('cancelJob', () => {
  it('stops work not yet sent upstream', async () => {
    const local = await startHarness({ env: { QWEN_MAX_CONCURRENCY: '1' } });
    try {
      const images = [];
      for (let i = 0; i < 5; i++) images.push(await uploadNew(local.gateway.client, { format: 'png', width: 20 + i, height: 20 }));
      // The first image's call stays in flight until the cancel has landed (concurrency 1: the rest wait behind it).
      local.fake.holdReplies();
      const job = (await local.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: images.map((i) => i.id), questions: ['Slow?'] } })).data!.submitAnalysis;
      const client = wsClient(local.gateway.server.url);
      const updates = collect(client, JobUpdatedDocument, { id: job.id });
      await expect.poll(() => local.fake.requests.length).toBe(1);
      const cancelled = (await local.gateway.client.request(CancelJobDocument, { id: job.id })).data!.cancelJob;
      expect(cancelled.status).toBe('CANCELLED');
      const events = await updates;
      expect(events.at(-1)!.data!.jobUpdated.status).toBe('CANCELLED');
      local.fake.releaseReplies();
      // Nothing more is sent: a later job on the same (one-call-at-a-time) endpoint runs to its end meanwhile.
      const later = await uploadNew(local.gateway.client, { format: 'png', width: 30, height: 20 });
      const next = (await local.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [later.id], questions: ['After?'] } })).data!.submitAnalysis;
      expect((await collect(client, JobCompletedDocument, { id: next.id })).at(-1)!.data!.jobCompleted.status).toBe('SUCCEEDED');
      expect(local.fake.requests.filter((r) => r.prompts.includes('Slow?'))).toHaveLength(1);
      const read = (await local.gateway.client.request(GetJobDocument, { id: job.id })).data!.job!;
      expect(read.items.filter((i) => i.status === 'CANCELLED').length).toBeGreaterThanOrEqual(4);
      expect(read.status).toBe('CANCELLED');
      // Cancelling an ended job changes nothing.
      expect((await local.gateway.client.request(CancelJobDocument, { id: job.id })).data!.cancelJob.status).toBe('CANCELLED');
      await client.dispose();
    } finally {
      await local.close();
    }
  });

  it('aborts the upstream call in flight: the endpoint sees the connection closed', async () => {
    const [image] = await newImages(1);
    h.fake.setDefaultFault({ kind: 'hang' });
    const job = await submit({ imageIds: [image!.id], questions: ['Hanging?'] });
    await expect.poll(() => h.fake.requests.length).toBe(1);
    expect((await h.gateway.client.request(CancelJobDocument, { id: job.id })).data!.cancelJob.status).toBe('CANCELLED');
    // Without the abort the call would hang until QWEN_TIMEOUT_MS (60 s); the poll's deadline is a backstop below that.
    await expect.poll(() => h.fake.requests[0]!.abandoned, { timeout: 20_000 }).toBe(true);
  });

  it('answers NOT_FOUND for an unknown job', async () => {
    expect(errorCodes(await h.gateway.client.request(CancelJobDocument, { id: 'nope' }))).toEqual(['NOT_FOUND']);
    expect((await h.gateway.client.request(GetJobDocument, { id: 'nope' })).data!.job).toBeNull();
  });
});

describe('stopping the gateway', () => {
  /** Every file of the data folder's top level (the SQLite database and its journals) with its size and mtime. */
  const snapshot = async (dir: string) =>
    Promise.all((await readdir(dir)).map(async (name) => ({ name, ...(({ size, mtimeMs }) => ({ size, mtimeMs }))(await stat(path.join(dir, name))) })));

  it('aborts upstream calls still hanging when SHUTDOWN_GRACE_MS ends, writes nothing after, and the job resumes on the next start', async () => {
    // A timeout far beyond the poll below: only the abort can close the call in time.
    const local = await startHarness({ env: { SHUTDOWN_GRACE_MS: '200', QWEN_TIMEOUT_MS: '60000', JOB_ITEM_RETRIES: '0' } });
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 23, height: 21 });
      local.fake.setDefaultFault({ kind: 'hang' });
      const job = (await local.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Still there?'] } })).data!.submitAnalysis;
      await expect.poll(() => local.fake.requests.length).toBe(1);

      await local.gateway.stop();
      await expect.poll(() => local.fake.requests[0]!.abandoned, { timeout: 20_000 }).toBe(true);
      // The aborted call records nothing: the database files stay as they were.
      const files = await snapshot(local.gateway.dataDir);
      await sleep(1_500);
      expect(await snapshot(local.gateway.dataDir)).toEqual(files);

      local.fake.setDefaultFault(null);
      const gateway = await restartGateway(local);
      const client = wsClient(gateway.server.url);
      const [event] = await collect(client, JobCompletedDocument, { id: job.id });
      await client.dispose();
      expect(event!.data!.jobCompleted).toMatchObject({ status: 'SUCCEEDED', done: 1, failed: 0 });
      expect(local.fake.requests).toHaveLength(2);
    } finally {
      await local.close();
    }
  });
});

describe('subscriptions over graphql-ws', () => {
  it('jobUpdated sends every change in order, the final state, then completes', async () => {
    const images = await newImages(3);
    // Replies go one at a time once the subscriber is in: it sees the job at each step, however slow the machine.
    h.fake.holdReplies();
    const job = await submit({ imageIds: images.map((i) => i.id), questions: ['Step?'] });
    const client = wsClient(h.gateway.server.url);
    const subscription = openSubscription(client, JobUpdatedDocument, { id: job.id });
    const seen = [await subscription.next()];
    for (let step = 1; step <= 3; step++) {
      h.fake.releaseReplies(1);
      while (seen.at(-1)!.data!.jobUpdated.done < step) seen.push(await subscription.next());
    }
    const events = [...seen, ...(await subscription.rest())].map((e) => e.data!.jobUpdated);
    await client.dispose();
    const progress = events.map((e) => e.done + e.failed);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const states = events.map((e) => `${e.status}:${e.done}:${e.failed}`);
    expect(new Set(states).size).toBe(states.length); // each event is a change
    expect(events.at(-1)).toMatchObject({ status: 'SUCCEEDED', done: 3 });
    expect(events.filter((e) => e.status === 'SUCCEEDED')).toHaveLength(1);
    expect(events.some((e) => e.status === 'RUNNING' && e.done > 0 && e.done < 3)).toBe(true);
  });

  it('jobCompleted answers at once for a job that already ended', async () => {
    const [image] = await newImages(1);
    const job = await submit({ imageIds: [image!.id], questions: ['Done?'] });
    await completion(job.id);
    const again = await completion(job.id);
    expect(again.status).toBe('SUCCEEDED');
  });

  it('never loses the end, however close subscribing comes to it', async () => {
    const [image] = await newImages(1);
    await submit({ imageIds: [image!.id], questions: ['Race?'] }).then((j) => completion(j.id));
    // Now every job finishes from the cache in a few milliseconds: subscribe right as it ends.
    for (let i = 0; i < 15; i++) {
      const job = await submit({ imageIds: [image!.id], questions: ['Race?'] });
      expect((await completion(job.id)).status).toBe('SUCCEEDED');
    }
  });

  it('answers NOT_FOUND for an unknown job id', async () => {
    const client = wsClient(h.gateway.server.url);
    try {
      const events = await collect(client, JobCompletedDocument, { id: 'no-such-job' });
      expect(events).toHaveLength(1);
      expect(errorCodes(events[0]!)).toEqual(['NOT_FOUND']);
    } finally {
      await client.dispose();
    }
  });
});

describe('jobs list', () => {
  it('lists newest first and filters by status', async () => {
    const [image] = await newImages(1);
    const a = await submit({ imageIds: [image!.id], questions: ['List A?'] });
    const b = await submit({ imageIds: [image!.id], questions: ['List B?'] });
    await completion(a.id);
    await completion(b.id);
    const page = (await h.gateway.client.request(ListJobsDocument, { first: 2 })).data!.jobs;
    expect(page.edges.map((e) => e.node.id)).toEqual([b.id, a.id]);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const succeeded = (await h.gateway.client.request(ListJobsDocument, { status: 'SUCCEEDED', first: 100 })).data!.jobs.edges;
    expect(succeeded.every((e) => e.node.status === 'SUCCEEDED')).toBe(true);
    expect((await h.gateway.client.request(ListJobsDocument, { status: 'QUEUED', first: 100 })).data!.jobs.edges).toEqual([]);
  });
});

describe('large batches', () => {
  it('runs 70 questions about one image (more cache keys than SQLite joins allow in one statement)', async () => {
    const [image] = await newImages(1);
    const questions = Array.from({ length: 70 }, (_, i) => `Question number ${i}?`);
    const job = await submit({ imageIds: [image!.id], questions });
    expect(await completion(job.id)).toMatchObject({ status: 'SUCCEEDED', done: 70, failed: 0 });
    expect(h.fake.requests).toHaveLength(Math.ceil(70 / 8)); // QWEN_MAX_PROMPTS_PER_CALL
    const again = await submit({ imageIds: [image!.id], questions });
    expect(await completion(again.id)).toMatchObject({ status: 'SUCCEEDED', done: 70 });
    expect(h.fake.requests).toHaveLength(Math.ceil(70 / 8)); // all from the cache
  });
});

describe('a tenant’s backlog', () => {
  it('is capped: JOB_MAX_ACTIVE_PER_TENANT jobs and JOB_MAX_QUEUED_ITEMS_PER_TENANT items, then RATE_LIMITED', async () => {
    const capped = await startHarness({ env: { JOB_MAX_ACTIVE_PER_TENANT: '2', JOB_MAX_QUEUED_ITEMS_PER_TENANT: '1500', SHUTDOWN_GRACE_MS: '100' } });
    try {
      capped.fake.setDefaultFault({ kind: 'hang' }); // nothing finishes while the test looks
      const image = await uploadNew(capped.gateway.client, { format: 'png', width: 30, height: 20 });
      const questions = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i}?`);
      const submitted = await capped.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: questions(1000, 'Big') } });
      // All 1,000 items were written (in chunks) before the answer.
      expect(submitted.data!.submitAnalysis).toMatchObject({ status: 'QUEUED', total: 1000 });

      const overItems = await capped.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: questions(501, 'More') } });
      expect(errorCodes(overItems)).toEqual(['RATE_LIMITED']);
      expect(overItems.errors![0]!.message).toContain('JOB_MAX_QUEUED_ITEMS_PER_TENANT');

      expect((await capped.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Second?'] } })).errors).toBeUndefined();
      const overJobs = await capped.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Third?'] } });
      expect(errorCodes(overJobs)).toEqual(['RATE_LIMITED']);
      expect(overJobs.errors![0]!.extensions).toMatchObject({ retryAfter: expect.any(Number) });

      // Cancelling one makes room again.
      await capped.gateway.client.request(CancelJobDocument, { id: submitted.data!.submitAnalysis.id });
      expect((await capped.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Room?'] } })).errors).toBeUndefined();
    } finally {
      capped.fake.setDefaultFault(null);
      await capped.close();
    }
  });
});
