import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildGateway } from '../support/child-gateway.js';
import { errorCodes, type GraphQLResponse } from '../support/client.js';
import { REPLICA_TEST_TIMEOUT, replicasUnavailable, startReplicas, type Replicas } from '../support/replicas.js';

// Issue 27, point 1: with REDIS_URL, automatic persisted queries (APQ) live in Redis, so a query
// registered through one replica runs by its hash alone on another (a load balancer does not send
// a client's next request to the same replica).

let cluster: Replicas;
let a: ChildGateway;
let b: ChildGateway;

async function post(replica: ChildGateway, body: unknown): Promise<GraphQLResponse<Record<string, unknown>>> {
  const response = await fetch(replica.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, ...((await response.json()) as object) };
}

describe.skipIf(replicasUnavailable)('automatic persisted queries across replicas', () => {
  beforeAll(async () => {
    cluster = await startReplicas(2);
    [a, b] = cluster.all as [ChildGateway, ChildGateway];
  }, REPLICA_TEST_TIMEOUT);

  afterAll(async () => {
    await cluster?.close();
  });

  it('a query registered on replica A runs by its hash on replica B, through Redis', async () => {
    const document = '{ images(first: 3) { edges { cursor } pageInfo { hasNextPage } } }';
    const sha256Hash = createHash('sha256').update(document).digest('hex');
    const persistedQuery = { version: 1, sha256Hash };
    expect(errorCodes(await post(b, { extensions: { persistedQuery } }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

    const registered = await post(a, { query: document, extensions: { persistedQuery } });
    expect(registered.errors).toBeUndefined();
    expect(await cluster.redis().get(`${cluster.env.REDIS_PREFIX}:apq:${sha256Hash}`)).toBe(document);
    expect(await post(b, { extensions: { persistedQuery } })).toEqual(registered);
  });
});
