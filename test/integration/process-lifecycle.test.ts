import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeQwen, type FakeQwen } from '../fake-qwen/index.js';
import { GetJobDocument, JobCompletedDocument, JobUpdatedDocument, ListImagesDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import { PROCESS_START_MS, spawnGateway, type ChildGateway } from '../support/child-gateway.js';
import { collect, wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';

// The gateway as a real process: killed mid-job it loses nothing, and SIGTERM stops it cleanly.

let fake: FakeQwen;
let dataDir: string;
let env: Record<string, string>;
const children: ChildGateway[] = [];

beforeAll(async () => {
  fake = await startFakeQwen({ apiKey: 'k' });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-process-'));
  env = { DATA_DIR: dataDir, QWEN_BASE_URL: fake.url, QWEN_API_KEY: 'k', QWEN_MODEL: 'qwen-vl-test', QWEN_MAX_CONCURRENCY: '1', QWEN_MAX_RETRIES: '0' };
});
afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(() => fake.releaseReplies());

async function start(): Promise<ChildGateway> {
  const child = await spawnGateway(env);
  children.push(child);
  return child;
}

const key = (sha: string, prompt: string) => `${sha} ${prompt}`;

/** Child processes start slowly on a busy machine (each transpiles the gateway): a backstop, not a measure. */
const PROCESS_TEST_TIMEOUT = 3 * PROCESS_START_MS;

describe('a gateway process', () => {
  it('killed with SIGKILL mid-job, finishes the job on the next start without asking answered items again', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    let gateway = await start();
    const images = [];
    for (let i = 0; i < 6; i++) images.push(await uploadNew(gateway.client, { format: 'png', width: 40 + i, height: 30 }));
    const shaOf = new Map(images.map((image) => [image.id, image.sha256]));
    fake.reset();
    // Two images answered (QWEN_MAX_CONCURRENCY 1: one call per image, both prompts packed), the third in flight at the kill.
    fake.holdReplies();
    fake.releaseReplies(2);

    const job = (await gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: images.map((i) => i.id), questions: ['First?', 'Second?'] } })).data!.submitAnalysis;
    await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 20 }).toBe(3);
    let answered = new Set<string>();
    await expect
      .poll(async () => {
        const items = (await gateway.client.request(GetJobDocument, { id: job.id })).data!.job!.items;
        answered = new Set(items.filter((i) => i.status === 'SUCCEEDED').map((i) => key(shaOf.get(i.image!.id)!, i.prompt)));
        return answered.size;
      }, { timeout: 60_000, interval: 50 })
      .toBe(4);
    gateway.process.kill('SIGKILL');
    expect(await gateway.exited).toBe('SIGKILL');
    fake.releaseReplies();
    const askedBefore = fake.requests.length;

    gateway = await start();
    const client = wsClient(gateway.url);
    const [event] = await collect(client, JobCompletedDocument, { id: job.id });
    await client.dispose();
    expect(event!.data!.jobCompleted).toMatchObject({ status: 'SUCCEEDED', total: 12, done: 12, failed: 0 });

    const askedAfter = fake.requests.slice(askedBefore).flatMap((r) => r.prompts.map((p) => key(r.image!.sha256, p)));
    expect(askedAfter.filter((k) => answered.has(k))).toEqual([]);
    const read = (await gateway.client.request(GetJobDocument, { id: job.id })).data!.job!;
    expect(read.questions).toHaveLength(12);
    expect(read.items.every((i) => i.status === 'SUCCEEDED')).toBe(true);

    gateway.process.kill('SIGKILL');
    await gateway.exited;
  });

  it('on SIGTERM closes subscriptions with 1001, finishes in-flight upstream calls and exits 0; the job resumes later', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    let gateway = await start();
    const existing = (await gateway.client.request(ListImagesDocument, { first: 2 })).data!.images.edges.map((e) => e.node.id);
    fake.reset();
    // The first image's call is answered only once the gateway is shutting down: within the grace period.
    fake.holdReplies();
    const job = (await gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: existing, questions: ['Graceful?'] } })).data!.submitAnalysis;

    const closeCodes: number[] = [];
    const client = wsClient(gateway.url);
    client.on('closed', (event) => closeCodes.push((event as { code: number }).code));
    const updates = collect(client, JobUpdatedDocument, { id: job.id }).catch((error: unknown) => error);
    await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 20 }).toBe(1);

    gateway.process.kill('SIGTERM');
    // Logged in the same tick as the job is told to take no more work.
    await expect.poll(() => gateway.logs.some((line) => line.includes('shutting down')), { interval: 20 }).toBe(true);
    fake.releaseReplies();
    expect(await gateway.exited).toBe(0);
    await updates;
    expect(closeCodes).toContain(1001);
    expect(fake.requests).toHaveLength(1); // the second image was never sent

    gateway = await start();
    const after = wsClient(gateway.url);
    const [event] = await collect(after, JobCompletedDocument, { id: job.id });
    await after.dispose();
    expect(event!.data!.jobCompleted).toMatchObject({ status: 'SUCCEEDED', done: 2 });
    // The call in flight at SIGTERM was recorded before exit: only the second image is asked now.
    expect(fake.requests).toHaveLength(2);
    gateway.process.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  });

  it('on SIGTERM aborts an upstream call still hanging when SHUTDOWN_GRACE_MS ends, and exits 0 at once', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    const gateway = await spawnGateway({ ...env, SHUTDOWN_GRACE_MS: '300' });
    children.push(gateway);
    const [image] = (await gateway.client.request(ListImagesDocument, { first: 1 })).data!.images.edges.map((e) => e.node.id);
    fake.reset();
    fake.setDefaultFault({ kind: 'hang' });
    try {
      await gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image!], questions: ['Hanging at shutdown?'] } });
      await expect.poll(() => fake.requests.length, { timeout: 60_000, interval: 20 }).toBe(1);
      const signalled = Date.now();
      gateway.process.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      // Left running, the call would hold the shutdown until QWEN_TIMEOUT_MS (60 s).
      expect(Date.now() - signalled).toBeLessThan(20_000);
      expect(fake.requests[0]!.abandoned).toBe(true);
    } finally {
      fake.setDefaultFault(null);
    }
  });
});
