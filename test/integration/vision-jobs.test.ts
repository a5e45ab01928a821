import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  JobCompletedDocument,
  JobModerationsDocument,
  ListJobsDocument,
  StoredModerationDocument,
  SubmitAnalysisDocument,
  UploadImageDocument,
  type AnalysisInput,
} from '../generated/graphql.js';
import { collect, errorCodes, wsClient, type GraphQLClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';

// Moderation as job items (issue 13, point 1): submitAnalysis(moderate: true)
// adds a verdict per image that travels with the image's other prompts
// through the runner (cache, packing, retries), listed as Job.moderations;
// MODERATE_UPLOADS=true queues one for every new upload without holding the
// upload up. The fake endpoint flags images whose colour is a strong red.

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { JOB_ITEM_RETRIES: '2', JOB_RETRY_DELAY_MS: '20' } });
});
afterAll(() => h.close());
afterEach(() => {
  h.fake.reset();
  h.fake.setDefaultFault(null);
});

let shade = 0;
const newImage = (client: GraphQLClient, color = `#${(0x203040 + ++shade * 7919).toString(16).slice(-6)}`) => uploadNew(client, { format: 'png', width: 32, height: 24, color });

async function submit(input: AnalysisInput) {
  const response = await h.gateway.client.request(SubmitAnalysisDocument, { input });
  expect(response.errors).toBeUndefined();
  return response.data!.submitAnalysis;
}

/** The job's final state, from the jobCompleted subscription. */
async function completion(harness: Harness, id: string) {
  const client = wsClient(harness.gateway.server.url);
  try {
    const events = await collect(client, JobCompletedDocument, { id });
    expect(events).toHaveLength(1);
    return events[0]!.data!.jobCompleted;
  } finally {
    await client.dispose();
  }
}

async function moderationsOf(client: GraphQLClient, id: string) {
  const read = await client.request(JobModerationsDocument, { id });
  expect(read.errors).toBeUndefined();
  return read.data!.job!;
}

describe('submitAnalysis with moderate: true', () => {
  it('adds a verdict per image, sent with the image’s other prompts in one call, listed in Job.moderations and then cached', async () => {
    const red = await newImage(h.gateway.client, '#e01010');
    const calm = await newImage(h.gateway.client);
    const job = await submit({ imageIds: [red.id, calm.id], captionStyles: ['BRIEF'], moderate: true });
    expect(job.total).toBe(4);
    expect(await completion(h, job.id)).toMatchObject({ status: 'SUCCEEDED', done: 4, failed: 0 });
    expect(h.fake.requests).toHaveLength(2);
    expect(h.fake.requests.every((request) => request.packed)).toBe(true);

    const read = await moderationsOf(h.gateway.client, job.id);
    expect(read.moderations).toMatchObject([
      { image: { id: red.id }, flagged: true, categories: ['VIOLENCE', 'GORE'], model: 'qwen-vl-test' },
      { image: { id: calm.id }, flagged: false, categories: [] },
    ]);
    expect(read.items.filter((item) => item.kind === 'MODERATION').map((item) => [item.image?.id, item.status])).toEqual([
      [red.id, 'SUCCEEDED'],
      [calm.id, 'SUCCEEDED'],
    ]);
    expect(read.items.find((item) => item.kind === 'MODERATION')!.prompt).toMatch(/^moderation_v1: Review this image/);

    const stored = await h.gateway.client.request(StoredModerationDocument, { id: red.id });
    expect(stored.data!.image!.moderation).toEqual({ id: read.moderations[0]!.id, flagged: true, categories: ['VIOLENCE', 'GORE'], cached: true });
    expect(h.fake.requests).toHaveLength(2);
  });

  it('retries a moderation item that failed transiently, like any item', async () => {
    const image = await newImage(h.gateway.client);
    h.fake.inject({ kind: 'status', status: 503 });
    const job = await submit({ imageIds: [image.id], moderate: true });
    expect(job.total).toBe(1);
    expect(await completion(h, job.id)).toMatchObject({ status: 'SUCCEEDED', done: 1, failed: 0 });
    expect(h.fake.requests).toHaveLength(2);
    expect((await moderationsOf(h.gateway.client, job.id)).moderations).toMatchObject([{ image: { id: image.id }, flagged: false }]);
  });

  it('a verdict the model keeps getting wrong fails its item with MODEL_BAD_RESPONSE and stores nothing', async () => {
    const image = await newImage(h.gateway.client);
    h.fake.setDefaultFault({ kind: 'content', content: '{"flagged": "maybe", "categories": ["SPAM"], "rationale": 1}' });
    const job = await submit({ imageIds: [image.id], moderate: true });
    expect(await completion(h, job.id)).toMatchObject({ status: 'FAILED', done: 0, failed: 1 });
    const read = await moderationsOf(h.gateway.client, job.id);
    expect(read.moderations).toEqual([]);
    expect(read.items).toMatchObject([{ kind: 'MODERATION', status: 'FAILED', errorCode: 'MODEL_BAD_RESPONSE' }]);
  });

  it('needs something to do: moderate false with no caption styles or questions is BAD_USER_INPUT', async () => {
    const image = await newImage(h.gateway.client);
    const response = await h.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], moderate: false } });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toContain('moderate: true');
  });
});

describe('MODERATE_UPLOADS=true', () => {
  let local: Harness;
  beforeAll(async () => {
    local = await startHarness({ env: { MODERATE_UPLOADS: 'true', JOB_ITEM_RETRIES: '1', JOB_RETRY_DELAY_MS: '20' } });
  });
  afterAll(() => local.close());
  afterEach(() => local.fake.releaseReplies());

  /** The newest job, once the upload's background moderation has been queued (polled: nothing announces it). */
  async function uploadJob(after: ReadonlySet<string>) {
    const backstop = Date.now() + 10_000;
    for (;;) {
      const listed = await local.gateway.client.request(ListJobsDocument, { first: 5 });
      const fresh = listed.data!.jobs.edges.map((edge) => edge.node).filter((job) => !after.has(job.id));
      if (fresh.length > 0) return fresh;
      if (Date.now() > backstop) throw new Error('no moderation job was queued for the upload');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const jobIds = async () => new Set((await local.gateway.client.request(ListJobsDocument, { first: 50 })).data!.jobs.edges.map((edge) => edge.node.id));

  it('moderates each new upload in a background job without holding the upload; Image.moderation then answers from the store', async () => {
    const before = await jobIds();
    // The moderation's first upstream call is held (then fails with a 500): the upload has answered all the same.
    local.fake.holdReplies();
    local.fake.inject({ kind: 'status', status: 500 });
    const image = await newImage(local.gateway.client, '#d02020');
    const [job] = await uploadJob(before);
    expect(job).toMatchObject({ total: 1 });
    await expect.poll(() => local.fake.requests.length).toBe(1);
    expect(local.fake.requests[0]!.finished).toBe(false);
    local.fake.releaseReplies();

    // The failed call is retried by the runner, like any transient failure.
    expect(await completion(local, job!.id)).toMatchObject({ status: 'SUCCEEDED', done: 1 });
    expect(local.fake.requests).toHaveLength(2);
    const read = await moderationsOf(local.gateway.client, job!.id);
    expect(read.moderations).toMatchObject([{ image: { id: image.id }, flagged: true, categories: ['VIOLENCE', 'GORE'] }]);

    const stored = await local.gateway.client.request(StoredModerationDocument, { id: image.id });
    expect(stored.data!.image!.moderation).toMatchObject({ id: read.moderations[0]!.id, flagged: true, cached: true });
    expect(local.fake.requests).toHaveLength(2);
  });

  it('queues nothing for bytes the tenant already has', async () => {
    const first = await jobIds();
    const image = await newImage(local.gateway.client);
    const [job] = await uploadJob(first);
    await completion(local, job!.id);
    const before = await jobIds();
    const again = await local.gateway.client.upload(UploadImageDocument, { file: null }, [
      { path: 'variables.file', file: { name: 'again.png', bytes: image.bytes, type: 'image/png' } },
    ]);
    expect(again.data!.uploadImage.id).toBe(image.id);
    // A later upload's job is the marker: had the repeat queued one, it would be listed before it.
    const marker = await newImage(local.gateway.client);
    const fresh = await uploadJob(before);
    expect(fresh).toHaveLength(1);
    expect((await moderationsOf(local.gateway.client, fresh[0]!.id)).items.map((item) => item.image?.id)).toEqual([marker.id]);
  });
});
