import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CancelJobDocument, GetJobWebhookDocument, SubmitAnalysisDocument, type AnalysisInput } from '../generated/graphql.js';
import { errorCodes, type GraphQLClient } from '../support/client.js';
import { restartGateway, startGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { sendWebhook } from '../../src/modules/webhooks/webhook-sender.js';
import { startWebhookReceiver, type ReceivedHook, type WebhookReceiver } from '../support/webhook-receiver.js';

// Issue 27, point 3: a signed job.completed event POSTed to AnalysisInput.webhookUrl when the job
// ends, retried on WEBHOOK_RETRY_SCHEDULE (short here) with the same webhook-id, surviving a restart.

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Short retries, so failures move on at once; the restart test sets a longer one of its own. */
const FAST_RETRIES = '100ms,100ms,100ms';
/** Generous: a loaded machine must not turn a slow 200 into a timeout; the timeout test waits it out once. */
const TIMEOUT_MS = 2000;

let h: Harness;
let receiver: WebhookReceiver;
const webhookEnv = (schedule: string) => ({ WEBHOOK_SECRET: SECRET, WEBHOOK_ALLOWED_HOSTS: receiver.host, WEBHOOK_RETRY_SCHEDULE: schedule, WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) });

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await startHarness({ env: webhookEnv(FAST_RETRIES) });
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});
afterEach(() => {
  h.fake.reset();
});

let shade = 0;
async function submit(input: Omit<AnalysisInput, 'imageIds'>, client: GraphQLClient = h.gateway.client) {
  const image = await uploadNew(client, { format: 'png', width: 30, height: 20, color: `#${(0x300000 + ++shade * 7919).toString(16).slice(-6)}` });
  return client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['What is it?'], ...input } });
}

async function submitWithHook(path: string): Promise<string> {
  const response = await submit({ webhookUrl: receiver.url(path) });
  expect(response.errors).toBeUndefined();
  return response.data!.submitAnalysis.id;
}

const webhookOf = async (jobId: string) => (await h.gateway.client.request(GetJobWebhookDocument, { id: jobId })).data!.job!.webhook;

/** The requests this test's job caused (each test uses a path of its own). */
const hooksAt = (path: string) => receiver.requests.filter((hook) => hook.path === path);

/** The nth request to `path`, once it came. */
async function nthAt(path: string, n: number): Promise<ReceivedHook> {
  await expect.poll(() => hooksAt(path).length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(n);
  return hooksAt(path)[n - 1]!;
}

/** A way to hold a receiver's answer until the test has looked. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const verify = (hook: ReceivedHook) => new Webhook(SECRET).verify(hook.body, hook.headers) as { type: string; timestamp: string; data: Record<string, unknown> };

describe('job webhooks', () => {
  it('POSTs a job.completed event, signed so that the standardwebhooks library verifies it', async () => {
    const jobId = await submitWithHook('/signed?token=abc');
    const hook = await nthAt('/signed?token=abc', 1);
    const event = verify(hook);
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(event.type).toBe('job.completed');
    expect(event.data).toMatchObject({ id: jobId, status: 'SUCCEEDED', total: 1, done: 1, failed: 0, error: null });
    // A body signed with another secret, or changed, does not verify.
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(hook.body, hook.headers)).toThrow();
    expect(() => new Webhook(SECRET).verify(hook.body.replace('SUCCEEDED', 'FAILED'), hook.headers)).toThrow();

    await expect.poll(() => webhookOf(jobId), { timeout: 10_000, interval: 20 }).toMatchObject({ attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null });
    const job = (await h.gateway.client.request(GetJobWebhookDocument, { id: jobId })).data!.job!;
    expect(job.webhook!.id).toBe(hook.headers['webhook-id']);
    expect(job.webhook!.deliveredAt).not.toBeNull();
    expect(event.data.finishedAt).toBe(job.finishedAt);
  });

  it('sends the event for a cancelled job too', async () => {
    h.fake.holdReplies();
    try {
      const jobId = await submitWithHook('/cancelled');
      const cancelled = await h.gateway.client.request(CancelJobDocument, { id: jobId });
      expect(cancelled.data!.cancelJob.status).toBe('CANCELLED');
      expect(verify(await nthAt('/cancelled', 1)).data).toMatchObject({ id: jobId, status: 'CANCELLED', done: 0 });
    } finally {
      h.fake.releaseReplies();
    }
  });

  it('a job submitted without webhookUrl has no webhook', async () => {
    const response = await submit({});
    expect((await webhookOf(response.data!.submitAnalysis.id))).toBeNull();
  });

  it('retries a non-2xx answer with the same webhook-id, the attempts showing on Job.webhook', async () => {
    const held = gate();
    receiver.answer(500, { after: held.opened, status: 204 });
    const jobId = await submitWithHook('/flaky');
    const first = await nthAt('/flaky', 1);
    const second = await nthAt('/flaky', 2);
    // The second attempt is in flight (held): the first one's outcome is on the job.
    expect(await webhookOf(jobId)).toMatchObject({ attempts: 2, lastStatus: 500, deliveredAt: null });
    expect((await webhookOf(jobId))!.lastError).toMatch(/HTTP 500/);
    held.open();
    await expect.poll(() => webhookOf(jobId), { timeout: 10_000, interval: 20 }).toMatchObject({ attempts: 2, lastStatus: 204, lastError: null });
    expect((await webhookOf(jobId))!.deliveredAt).not.toBeNull();
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(verify(second)).toEqual(verify(first));
    expect(hooksAt('/flaky')).toHaveLength(2);
  });

  it('does not follow a redirect: it is a failed attempt', async () => {
    const held = gate();
    receiver.answer({ redirect: '/redirected-here' }, { after: held.opened, status: 200 });
    const jobId = await submitWithHook('/moved');
    await nthAt('/moved', 2);
    expect(await webhookOf(jobId)).toMatchObject({ attempts: 2, lastStatus: 302, deliveredAt: null });
    expect((await webhookOf(jobId))!.lastError).toMatch(/redirect/);
    held.open();
    await expect.poll(() => webhookOf(jobId), { timeout: 10_000, interval: 20 }).toMatchObject({ attempts: 2, lastStatus: 200 });
    expect(hooksAt('/redirected-here')).toHaveLength(0);
  });

  it('counts a receiver that does not answer within WEBHOOK_TIMEOUT_MS as a failed attempt', async () => {
    const held = gate();
    receiver.answer('hang', { after: held.opened, status: 200 });
    const jobId = await submitWithHook('/slow');
    await nthAt('/slow', 2);
    expect(await webhookOf(jobId)).toMatchObject({ attempts: 2, lastStatus: null, deliveredAt: null });
    expect((await webhookOf(jobId))!.lastError).toMatch(new RegExp(`within ${TIMEOUT_MS} ms`));
    held.open();
    await expect.poll(() => webhookOf(jobId), { timeout: 10_000, interval: 20 }).toMatchObject({ attempts: 2, lastStatus: 200 });
  });

  it('gives up once the retry schedule is used up', async () => {
    receiver.answer(503, 503, 503, 503);
    const jobId = await submitWithHook('/down');
    // One attempt, then one per delay of WEBHOOK_RETRY_SCHEDULE (three).
    await nthAt('/down', 4);
    await expect.poll(() => webhookOf(jobId), { timeout: 10_000, interval: 20 }).toMatchObject({ attempts: 4, lastStatus: 503, deliveredAt: null, nextAttemptAt: null });
  });

  it.each([
    ['http://10.1.2.3/hook', /private \(10\.0\.0\.0\/8\).*WEBHOOK_ALLOWED_HOSTS/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://[::1]:9/hook', /loopback/],
    // localhost resolves to loopback; only 127.0.0.1:<the receiver's port> is allowed here.
    ['http://localhost:9/hook', /resolves to an address that is not publicly routable/],
    ['ftp://example.com/hook', /only http: and https: webhook URLs/],
    ['http://user:pass@example.com/hook', /credentials in webhook URLs/],
  ])('refuses webhookUrl %s at submit with BAD_USER_INPUT', async (webhookUrl, message) => {
    const response = await submit({ webhookUrl });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toMatch(message);
  });
});

describe('job webhooks without WEBHOOK_SECRET', () => {
  it('refuses webhookUrl with BAD_USER_INPUT naming the setting', async () => {
    const gateway = await startGateway({ env: { WEBHOOK_ALLOWED_HOSTS: receiver.host } });
    try {
      const response = await submit({ webhookUrl: receiver.url('/unsigned') }, gateway.client);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(/WEBHOOK_SECRET is not set/);
    } finally {
      await gateway.stop();
    }
  });
});

describe('job webhooks across a restart', () => {
  it('a retry due after the gateway stopped is made by the next one on the same database, with the same webhook-id', async () => {
    // Long enough for the stop to happen first; the next gateway finds the retry due in the database.
    const schedule = '4s';
    await restartGateway(h, webhookEnv(schedule));
    receiver.answer(500, 200);
    const jobId = await submitWithHook('/restart');
    const first = await nthAt('/restart', 1);
    await expect.poll(() => webhookOf(jobId), { timeout: 10_000, interval: 20 }).toMatchObject({ attempts: 1, lastStatus: 500 });
    await h.gateway.stop();
    // The stopped gateway made no second attempt.
    expect(hooksAt('/restart')).toHaveLength(1);
    h.gateway = await startGateway({ dataDir: h.gateway.dataDir, env: webhookEnv(schedule) });
    const second = await nthAt('/restart', 2);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    verify(second);
    await expect.poll(() => webhookOf(jobId), { timeout: 10_000, interval: 20 }).toMatchObject({ attempts: 2, lastStatus: 200 });
  });
});

describe('the address check at delivery (DNS rebinding)', () => {
  // A name that resolved to a public address at submit and to a private one now: the connect-time
  // check refuses it. The resolver stands in for DNS; the receiver is real.
  const rebound = async () => [{ address: '127.0.0.1', family: 4 }];
  const url = () => new URL(`http://hooks.example.com:${receiver.host.split(':')[1]}/rebound`);

  it('refuses to connect when the host now resolves to a private address: a failed attempt, nothing sent', async () => {
    const outcome = await sendWebhook(url(), '{}', { 'content-type': 'application/json' }, { allowedHosts: [], timeoutMs: TIMEOUT_MS, lookup: rebound });
    expect(outcome).toMatchObject({ delivered: false, status: null });
    expect(outcome.error).toMatch(/loopback.*WEBHOOK_ALLOWED_HOSTS/);
    expect(hooksAt('/rebound')).toHaveLength(0);
  });

  it('connects when the host is in WEBHOOK_ALLOWED_HOSTS', async () => {
    const outcome = await sendWebhook(url(), '{}', { 'content-type': 'application/json' }, { allowedHosts: ['hooks.example.com'], timeoutMs: TIMEOUT_MS, lookup: rebound });
    expect(outcome).toEqual({ delivered: true, status: 200, error: null });
    expect(hooksAt('/rebound')).toHaveLength(1);
  });
});
