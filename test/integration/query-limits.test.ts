import { rm } from 'node:fs/promises';
import type { Client as WsClient } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { errorCodes, wsClient, type GraphQLErrorShape, type GraphQLResponse } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startGateway, startHarness, type Harness, type TestGateway } from '../support/gateway.js';

// Defaults (config.ts): QUERY_MAX_DEPTH 10, QUERY_MAX_ALIASES 30, QUERY_MAX_COST 5000,
// QUERY_MAX_PROMPTS 50, QUERY_MAX_VARIABLES_BYTES 256 KiB.
let h: Harness;
let production: TestGateway;
beforeAll(async () => {
  [h, production] = await Promise.all([
    startHarness({
      env: { WS_MAX_SUBSCRIPTIONS: '2', WS_CONNECTION_INIT_TIMEOUT_MS: '300', QWEN_TIMEOUT_MS: '3000', SHUTDOWN_GRACE_MS: '100' },
    }),
    startGateway({ env: { NODE_ENV: 'production' } }),
  ]);
});
afterAll(async () => {
  await h?.close();
  if (production) {
    await production.stop();
    await rm(production.dataDir, { recursive: true, force: true });
  }
});
afterEach(() => {
  h.fake.reset();
  h.fake.setDefaultFault(null);
});

/** `levels` fields deep, the leaf included, with no list to multiply cost: image { caption { image { … id } } }. */
function deepQuery(levels: number): string {
  const wrappers = Array.from({ length: levels - 1 }, (_, i) => (i === 0 ? 'image(id: "none")' : i % 2 === 1 ? 'caption' : 'image'));
  return `{ ${wrappers.reduceRight((inner, field) => `${field} { ${inner} }`, 'id')} }`;
}

const aliasedQuery = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: image(id: "none") { id }`).join(' ')} }`;

/** The one error of a refused operation, checked to be QUERY_TOO_COMPLEX for `limit`, naming its variable. */
function refusal(response: { status?: number; errors?: GraphQLErrorShape[] }, limit: string): GraphQLErrorShape {
  expect(response.errors).toHaveLength(1);
  const error = response.errors![0]!;
  expect(error.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
  expect(error.message).toContain(limit);
  return error;
}

async function post(body: unknown, url = h.gateway.server.url): Promise<GraphQLResponse<unknown> & { text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  let parsed: object = {};
  try {
    parsed = JSON.parse(text) as object;
  } catch {
    // not JSON: the test looks at status and text
  }
  return { status: response.status, text, ...parsed };
}

interface WsOutcome {
  data?: unknown;
  errors?: GraphQLErrorShape[];
}

/** Runs one operation over graphql-ws: its first result, or the errors of an `error` message. */
function wsRun(client: WsClient, query: string, variables?: Record<string, unknown>): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    let outcome: WsOutcome | undefined;
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          outcome ??= { data: result.data, errors: result.errors as GraphQLErrorShape[] | undefined };
          dispose();
          resolve(outcome);
        },
        error: (error) => (Array.isArray(error) ? resolve({ errors: error as GraphQLErrorShape[] }) : reject(error)),
        complete: () => resolve(outcome ?? {}),
      },
    );
  });
}

async function withWs<T>(url: string, use: (client: WsClient) => Promise<T>): Promise<T> {
  const client = wsClient(url);
  try {
    return await use(client);
  } finally {
    await client.dispose();
  }
}

describe('query limits over HTTP', () => {
  it(`refuses an operation deeper than QUERY_MAX_DEPTH and runs one at the limit`, async () => {
    const tooDeep = await post({ query: deepQuery(11) });
    expect(tooDeep.status).toBe(400);
    expect(refusal(tooDeep, 'QUERY_MAX_DEPTH').extensions).toMatchObject({ maximum: 10, actual: 11 });

    const atLimit = await post({ query: deepQuery(10) });
    expect(atLimit.errors).toBeUndefined();
    expect(atLimit.data).toEqual({ image: null });
  });

  it('counts depth through fragments by fields, not by the fragments that group them', async () => {
    const query = `{ ...Top } fragment Top on Query { image(id: "none") { ...Img } } fragment Img on Image { captions { image { id } } }`;
    expect((await post({ query })).errors).toBeUndefined();
  });

  it('refuses more aliases than QUERY_MAX_ALIASES', async () => {
    const tooMany = await post({ query: aliasedQuery(31) });
    expect(tooMany.status).toBe(400);
    expect(refusal(tooMany, 'QUERY_MAX_ALIASES').extensions).toMatchObject({ maximum: 30, actual: 31 });
    expect((await post({ query: aliasedQuery(30) })).errors).toBeUndefined();
  });

  it('refuses an operation whose estimated cost passes QUERY_MAX_COST (lists multiply by first)', async () => {
    // No model field at all: nested stored lists under a 100-item page.
    const query = `{ images(first: 100) { edges { node { captions { id image { questions { id prompt } } } } } } }`;
    const response = await post({ query });
    expect(response.status).toBe(400);
    const error = refusal(response, 'QUERY_MAX_COST');
    expect(error.extensions!.actual as number).toBeGreaterThan(5000);

    // The same shape on a small page is fine.
    expect((await post({ query: query.replace('first: 100', 'first: 2') })).errors).toBeUndefined();
    // A page over the maximum (100) counts as 100: the page check answers it, not the cost.
    expect(errorCodes(await post({ query: '{ images(first: 1000) { edges { cursor } } }' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses images(first: 100) { caption }: 100 model prompts over QUERY_MAX_PROMPTS, before any upstream call', async () => {
    await uploadNew(h.gateway.client, { format: 'png', width: 16, height: 16, color: '#123456' });
    const response = await post({ query: '{ images(first: 100) { edges { node { caption { text } } } } }' });
    expect(response.status).toBe(400);
    expect(refusal(response, 'QUERY_MAX_PROMPTS').extensions).toMatchObject({ maximum: 50, actual: 100 });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('counts prompts with the variables: first: $n times every caption and answer selection', async () => {
    const query = `query Insights($n: Int) { images(first: $n) { edges { node { caption { text } q: answer(question: "Is it blue?") { answer } } } } }`;
    const over = await post({ query, variables: { n: 26 } });
    expect(refusal(over, 'QUERY_MAX_PROMPTS').extensions).toMatchObject({ actual: 52 });

    const under = await post({ query, variables: { n: 25 } });
    expect(under.errors).toBeUndefined();
  });

  it('refuses variables larger than QUERY_MAX_VARIABLES_BYTES', async () => {
    const response = await post({ query: 'query Big($filter: QuestionFilter) { questions(filter: $filter) { edges { cursor } } }', variables: { filter: { promptContains: 'x'.repeat(300 * 1024) } } });
    expect(response.status).toBe(400);
    expect(refusal(response, 'QUERY_MAX_VARIABLES_BYTES').extensions!.actual as number).toBeGreaterThan(300 * 1024);
  });

  it('answers a batched (array) body with 400: one operation per request', async () => {
    const response = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/batching/i);
  });

  it('keeps GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED for malformed documents, with suggestions outside production', async () => {
    const parse = await post({ query: '{ images { ' });
    expect(parse.status).toBe(400);
    expect(errorCodes(parse)).toEqual(['GRAPHQL_PARSE_FAILED']);

    const invalid = await post({ query: '{ images { edges { node { idd } } } }' });
    expect(invalid.status).toBe(400);
    expect(errorCodes(invalid)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(invalid.errors![0]!.message).toMatch(/Did you mean "id"\?/);
  });

  it('allows introspection outside production', async () => {
    const response = await post({ query: '{ __schema { queryType { name } } }' });
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

describe('documents too large to parse cheaply', () => {
  const unknownFields = (count: number) => `{ ${'x '.repeat(count)}}`;
  const aliasedTypenames = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;
  const variableDefinitions = (count: number) => `query(${Array.from({ length: count }, (_, i) => `$v${i}: Int`).join(' ')}) { __typename }`;

  it('refuses them by token count before parsing, over HTTP and graphql-ws alike', async () => {
    for (const query of [unknownFields(400_000), aliasedTypenames(30_000), variableDefinitions(20_000)]) {
      const response = await post({ query });
      expect(response.status).toBe(400);
      expect(refusal(response, 'QUERY_MAX_TOKENS').extensions).toMatchObject({ maximum: 10_000 });
    }
    await withWs(h.gateway.server.url, async (client) => {
      refusal(await wsRun(client, unknownFields(200_000)), 'QUERY_MAX_TOKENS');
    });
  });

  it('refuses more variable definitions than QUERY_MAX_VARIABLES and more directives than QUERY_MAX_DIRECTIVES', async () => {
    // Every variable used once, so the limit is the only thing wrong.
    const usedVariables = (count: number) => {
      const names = Array.from({ length: count }, (_, i) => `$v${i}`);
      return `mutation(${names.map((n) => `${n}: ID! = "none"`).join(' ')}) { submitAnalysis(input: { imageIds: [${names.join(', ')}], questions: ["Q?"] }) { id } }`;
    };
    refusal(await post({ query: usedVariables(101) }), 'QUERY_MAX_VARIABLES');
    expect(errorCodes(await post({ query: usedVariables(100) }))).toEqual(['NOT_FOUND']);
    const directives = (count: number) => `{ ${'... @include(if: true) { __typename } '.repeat(count)}}`;
    refusal(await post({ query: directives(51) }), 'QUERY_MAX_DIRECTIVES');
    expect((await post({ query: directives(50) })).errors).toBeUndefined();
    await withWs(h.gateway.server.url, async (client) => {
      refusal(await wsRun(client, usedVariables(101)), 'QUERY_MAX_VARIABLES');
    });
  });
});

describe('query limits over graphql-ws', () => {
  it('refuses deep, aliased, costly and prompt-heavy operations with an error message, as over HTTP', async () => {
    await withWs(h.gateway.server.url, async (client) => {
      refusal(await wsRun(client, deepQuery(11)), 'QUERY_MAX_DEPTH');
      refusal(await wsRun(client, aliasedQuery(31)), 'QUERY_MAX_ALIASES');
      refusal(await wsRun(client, '{ images(first: 100) { edges { node { captions { id image { questions { id } } } } } } }'), 'QUERY_MAX_COST');
      refusal(await wsRun(client, 'query P($n: Int) { images(first: $n) { edges { node { caption { text } } } } }', { n: 100 }), 'QUERY_MAX_PROMPTS');
      refusal(await wsRun(client, '{ __typename }', { blob: 'x'.repeat(300 * 1024) }), 'QUERY_MAX_VARIABLES_BYTES');
      // Still usable after all that.
      expect(await wsRun(client, '{ __typename }')).toEqual({ data: { __typename: 'Query' }, errors: undefined });
    });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('answers malformed documents with GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED, not an internal error', async () => {
    await withWs(h.gateway.server.url, async (client) => {
      expect(errorCodes({ status: 0, ...(await wsRun(client, '{ images { ')) })).toEqual(['GRAPHQL_PARSE_FAILED']);
      const invalid = await wsRun(client, '{ images { edges { node { idd } } } }');
      expect(errorCodes({ status: 0, ...invalid })).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(invalid.errors![0]!.message).toMatch(/Did you mean "id"\?/);
    });
  });

  it(`refuses a subscription over WS_MAX_SUBSCRIPTIONS with an error message and keeps the socket and its subscriptions`, async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 16, height: 16, color: '#654321' });
    h.fake.setDefaultFault({ kind: 'hang' }); // the job stays RUNNING, its subscriptions open
    const submitted = await h.gateway.client.request<{ submitAnalysis: { id: string } }>('mutation { submitAnalysis(input: { imageIds: ["' + image.id + '"], questions: ["Hold on?"] }) { id } }');
    expect(submitted.errors).toBeUndefined();
    const jobId = submitted.data!.submitAnalysis.id;

    const client = wsClient(h.gateway.server.url);
    let closed = false;
    client.on('closed', () => (closed = true));
    try {
      const events: unknown[] = [];
      const subscribe = () =>
        new Promise<() => void>((resolve, reject) => {
          const dispose = client.subscribe(
            { query: `subscription { jobUpdated(id: "${jobId}") { id status } }` },
            { next: (event) => (events.push(event), resolve(dispose)), error: reject, complete: () => undefined },
          );
        });
      const first = await subscribe();
      await subscribe();

      const third = await wsRun(client, `subscription { jobCompleted(id: "${jobId}") { id status } }`);
      expect(refusal(third, 'WS_MAX_SUBSCRIPTIONS').extensions).toMatchObject({ maximum: 2 });
      expect(closed).toBe(false);

      // Ending one frees a slot on the same socket.
      first();
      await expect.poll(async () => (await wsRun(client, `{ job(id: "${jobId}") { id } }`)).data, { timeout: 20_000 }).toEqual({ job: { id: jobId } });
      expect(closed).toBe(false);
    } finally {
      await client.dispose();
      await h.gateway.client.request(`mutation { cancelJob(id: "${jobId}") { id } }`);
    }
  });

  it('closes a socket that never sends connection_init after WS_CONNECTION_INIT_TIMEOUT_MS (4408)', async () => {
    const socket = new WebSocket(h.gateway.server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const opened = Date.now();
    const [code] = await new Promise<[number, string]>((resolve, reject) => {
      socket.once('close', (closeCode, reason) => resolve([closeCode, reason.toString()]));
      socket.once('error', reject);
    });
    expect(code).toBe(4408);
    expect(Date.now() - opened).toBeLessThan(20_000); // a backstop: without the timeout it would stay open
  });
});

describe('in production (NODE_ENV=production)', () => {
  it('refuses introspection over HTTP and graphql-ws', async () => {
    const http = await post({ query: '{ __schema { queryType { name } } }' }, production.server.url);
    expect(http.status).toBe(400);
    expect(errorCodes(http)).toEqual(['INTROSPECTION_DISABLED']);
    expect(http.errors![0]!.message).toContain('schema/schema.graphql');
    expect(http.data).toBeUndefined();

    await withWs(production.server.url, async (client) => {
      const ws = await wsRun(client, '{ __type(name: "Image") { name } }');
      expect(errorCodes({ status: 0, ...ws })).toEqual(['INTROSPECTION_DISABLED']);
      expect(ws.data).toBeUndefined();
    });
  });

  it('hides field suggestions over HTTP and graphql-ws', async () => {
    const http = await post({ query: '{ images { edges { node { idd } } } }' }, production.server.url);
    expect(errorCodes(http)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(http.errors![0]!.message).toBe('Cannot query field "idd" on type "Image".');

    await withWs(production.server.url, async (client) => {
      const ws = await wsRun(client, '{ images { edges { node { idd } } } }');
      expect(ws.errors![0]!.message).toBe('Cannot query field "idd" on type "Image".');
    });
  });

  it('still enforces the limits and allows ordinary operations', async () => {
    refusal(await post({ query: deepQuery(11) }, production.server.url), 'QUERY_MAX_DEPTH');
    expect((await post({ query: '{ images(first: 5) { edges { node { id } } } }' }, production.server.url)).data).toEqual({ images: { edges: [] } });
  });
});
