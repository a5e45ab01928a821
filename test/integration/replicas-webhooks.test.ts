import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetJobWebhookDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import type { ChildGateway } from '../support/child-gateway.js';
import { uploadNew } from '../support/flows.js';
import { REPLICA_TEST_TIMEOUT, replicasUnavailable, startReplicas, type Replicas } from '../support/replicas.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

// Job webhooks across replicas (REDIS_URL): a BullMQ entry per attempt, claimed in the database,
// so each attempt is made by exactly one replica, whichever ended the job. Both replicas sweep the
// database every 100 ms, so they compete for every attempt.

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let cluster: Replicas;
let a: ChildGateway;
let b: ChildGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  if (replicasUnavailable) return;
  receiver = await startWebhookReceiver();
  const started = await startReplicas(2, {
    sharedBlobs: true,
    env: { WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: receiver.host, WEBHOOK_RETRY_SCHEDULE: '300ms,300ms', WEBHOOK_POLL_MS: '100' },
  });
  cluster = started;
  [a, b] = started.replicas as [ChildGateway, ChildGateway];
}, REPLICA_TEST_TIMEOUT);
afterAll(async () => {
  await cluster?.close();
  await receiver?.close();
});

let seed = 0;
async function submitWithHook(on: ChildGateway, path: string): Promise<string> {
  const image = await uploadNew(on.client, { format: 'png', width: 24 + ++seed, height: 16 });
  const response = await on.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Which replica?'], webhookUrl: receiver.url(path) } });
  expect(response.errors).toBeUndefined();
  return response.data!.submitAnalysis.id;
}

const webhookOf = async (on: ChildGateway, jobId: string) => (await on.client.request(GetJobWebhookDocument, { id: jobId })).data!.job!.webhook;
const hooksAt = (path: string) => receiver.requests.filter((hook) => hook.path === path);
/** 'job webhook delivered' lines about this job, on every replica. */
const deliveriesLogged = (jobId: string) => cluster.all.flatMap((child) => child.logs).filter((line) => line.includes(jobId) && line.includes('job webhook delivered'));

describe.skipIf(replicasUnavailable)('job webhooks across replicas', () => {
  it('each attempt is made once, by one replica, retries included', { timeout: REPLICA_TEST_TIMEOUT }, async () => {
    receiver.answer(500);
    const retried = await submitWithHook(a, '/retried');
    await expect.poll(() => webhookOf(b, retried), { timeout: 30_000, interval: 50 }).toMatchObject({ attempts: 2, lastStatus: 200 });

    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await submitWithHook(i % 2 === 0 ? a : b, `/once-${i}`));
    for (const jobId of jobs) await expect.poll(() => webhookOf(a, jobId), { timeout: 30_000, interval: 50 }).toMatchObject({ attempts: 1, lastStatus: 200 });
    // A last job delivered after them: the sweeps of both replicas have run many times since the others were.
    const last = await submitWithHook(b, '/last');
    await expect.poll(() => webhookOf(a, last), { timeout: 30_000, interval: 50 }).toMatchObject({ attempts: 1, lastStatus: 200 });
    await expect.poll(() => deliveriesLogged(last).length, { timeout: 30_000, interval: 50 }).toBe(1);

    expect(hooksAt('/retried')).toHaveLength(2);
    expect(new Set(hooksAt('/retried').map((hook) => hook.headers['webhook-id']))).toEqual(new Set([`msg_${retried}`]));
    for (const [i, jobId] of jobs.entries()) {
      expect(hooksAt(`/once-${i}`)).toHaveLength(1);
      expect(deliveriesLogged(jobId)).toHaveLength(1);
      expect(new Webhook(SECRET).verify(hooksAt(`/once-${i}`)[0]!.body, hooksAt(`/once-${i}`)[0]!.headers)).toMatchObject({ data: { id: jobId, status: 'SUCCEEDED' } });
    }
  });
});
