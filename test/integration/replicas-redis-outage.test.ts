import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelJobDocument, JobUpdatedDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import type { ChildGateway } from '../support/child-gateway.js';
import { wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { ownRedis, type OwnRedis } from '../support/own-redis.js';
import { REPLICA_TEST_TIMEOUT, replicasUnavailable, startReplicas, type Replicas } from '../support/replicas.js';
import { openSubscription } from '../support/subscriptions.js';

// Issue 21, point 7: jobUpdated while Redis is unreachable. Two replicas on a Redis of the test's own,
// stopped (every connection refused) before the job is submitted and started again at the end.

let redis: OwnRedis;
let cluster: Replicas;
let a: ChildGateway;
let b: ChildGateway;

beforeAll(async () => {
  if (replicasUnavailable) return;
  redis = await ownRedis();
  await redis.start();
  const started = await startReplicas(2, { sharedBlobs: true, env: { REDIS_URL: redis.url } });
  cluster = started;
  [a, b] = started.replicas as [ChildGateway, ChildGateway];
}, REPLICA_TEST_TIMEOUT);
afterAll(async () => {
  await cluster?.close();
  await redis?.stop();
});

describe.skipIf(replicasUnavailable)('job events while Redis is down', () => {
  it(
    "every replica sends the current state first, the accepting replica its own events at once, the other one the end once Redis is back",
    async () => {
      const image = await uploadNew(a.client, { format: 'png', width: 24, height: 16 });
      await redis.stop();

      const submitted = await a.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Heard without Redis?'] } });
      expect(submitted.errors).toBeUndefined();
      const id = submitted.data!.submitAnalysis.id;
      const sockets = [wsClient(a.url), wsClient(b.url)];
      try {
        const [onA, onB] = sockets.map((socket) => openSubscription(socket, JobUpdatedDocument, { id }));
        expect((await onA!.next()).data?.jobUpdated).toMatchObject({ id, status: 'QUEUED' });
        expect((await onB!.next()).data?.jobUpdated).toMatchObject({ id, status: 'QUEUED' });

        // The job is not queued in BullMQ yet (Redis is away), so it stays QUEUED until it is cancelled here.
        const cancelled = await a.client.request(CancelJobDocument, { id });
        expect(cancelled.data?.cancelJob.status).toBe('CANCELLED');
        expect((await onA!.rest()).map((event) => event.data?.jobUpdated.status)).toEqual(['CANCELLED']);

        // B missed the message; once its channel subscription is confirmed it re-reads the job.
        await redis.start();
        expect((await onB!.rest()).map((event) => event.data?.jobUpdated.status)).toEqual(['CANCELLED']);
      } finally {
        await Promise.all(sockets.map((socket) => socket.dispose()));
      }
    },
    REPLICA_TEST_TIMEOUT,
  );
});
