import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROCESS_START_MS, spawnGateway, type ChildGateway } from '../support/child-gateway.js';
import { GraphQLClient, wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { runCli } from '../support/operator-cli.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const base = (gateway: { server: { url: string } }) => gateway.server.url.replace(/\/graphql$/, '');

let g: TestGateway;
beforeAll(async () => {
  g = await startGateway();
});
afterAll(async () => {
  await g?.stop().catch(() => undefined); // one test closes its database on purpose
  if (g) await rm(g.dataDir, { recursive: true, force: true });
});

describe('health and readiness', () => {
  it('/healthz answers 200 {status:"ok"} while the process is up', async () => {
    const response = await fetch(`${base(g)}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when the database is reachable and migrated', async () => {
    const response = await fetch(`${base(g)}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', checks: { storage: 'ok', database: 'ok' } });
  });

  it('/readyz answers 503 with a reason when a committed migration is not applied', async () => {
    const local = await startGateway();
    try {
      const file = path.join(local.dataDir, 'gateway.db');
      const sqlite = new Database(file);
      const [last] = sqlite.prepare('SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1').all() as Array<{ migration_name: string }>;
      sqlite.prepare('DELETE FROM _prisma_migrations WHERE migration_name = ?').run(last!.migration_name);
      sqlite.close();

      const response = await fetch(`${base(local)}/readyz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { status: string; reason: string };
      expect(body.status).toBe('unavailable');
      expect(body.reason).toContain(last!.migration_name);
      // Liveness is not readiness: the process is still up.
      expect((await fetch(`${base(local)}/healthz`)).status).toBe(200);
    } finally {
      await local.stop();
      await rm(local.dataDir, { recursive: true, force: true });
    }
  });
});

describe('metrics', () => {
  it('serves Prometheus text with request counts and latency by operation name, and jobs by status', async () => {
    const ok = await g.client.request('query OpsListImages { images(first: 1) { edges { cursor } } }');
    expect(ok.errors).toBeUndefined();
    const refused = await g.client.request('query OpsTooManyPrompts { images(first: 100) { edges { node { caption { text } } } } }');
    expect(refused.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');

    const response = await fetch(`${base(g)}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('gateway_graphql_requests_total{operation="OpsListImages",type="query",outcome="ok"} 1');
    expect(text).toContain('gateway_graphql_requests_total{operation="OpsTooManyPrompts",type="query",outcome="error"} 1');
    expect(text).toMatch(/gateway_graphql_request_duration_seconds_count\{operation="OpsListImages",type="query"\} 1/);
    for (const status of ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']) expect(text).toContain(`gateway_jobs{status="${status}"} 0`);
  });

  it('counts graphql-ws operations too', async () => {
    const client = wsClient(g.server.url);
    try {
      for await (const result of client.iterate({ query: 'query OpsOverSocket { __typename }' })) expect(result.data).toEqual({ __typename: 'Query' });
    } finally {
      await client.dispose();
    }
    const text = await (await fetch(`${base(g)}/metrics`)).text();
    expect(text).toContain('gateway_graphql_requests_total{operation="OpsOverSocket",type="query",outcome="ok"} 1');
  });
});

describe('request ids', () => {
  it('echoes a sane X-Request-Id and replaces anything else with a new one', async () => {
    const echoed = await fetch(`${base(g)}/healthz`, { headers: { 'X-Request-Id': 'trace-4f2a:01.b_c' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-4f2a:01.b_c');

    for (const bad of ['has spaces', 'x'.repeat(200), '"quoted"', '-leading-dash']) {
      const replaced = await fetch(g.server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Request-Id': bad }, body: '{"query":"{ __typename }"}' });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const generated = await fetch(`${base(g)}/healthz`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('logs of a gateway process (npm start)', () => {
  let dataDir: string;
  let quiet: ChildGateway;
  let verbose: ChildGateway;
  // Real keys (a presented key is always checked); AUTH_REQUIRED=false keeps key-less sockets served.
  const secrets = new Map<ChildGateway, string>();
  const PROMPT = 'Which colour is the secret square?';

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gateway-ops-'));
    [quiet, verbose] = await Promise.all([
      spawnGateway({ DATA_DIR: path.join(dataDir, 'quiet'), WS_CONNECTION_INIT_TIMEOUT_MS: '500', AUTH_REQUIRED: 'false' }),
      spawnGateway({ DATA_DIR: path.join(dataDir, 'verbose'), LOG_PROMPTS: 'true', AUTH_REQUIRED: 'false' }),
    ]);
    for (const [child, name] of [[quiet, 'quiet'], [verbose, 'verbose']] as const) {
      const created = await runCli('keys', ['create', '--tenant', 'ops'], { DATA_DIR: path.join(dataDir, name) });
      expect(created.code).toBe(0);
      secrets.set(child, created.stdout.trim().split('\n').at(-1)!);
    }
  }, 2 * PROCESS_START_MS);
  afterAll(async () => {
    for (const child of [quiet, verbose]) if (child && child.process.exitCode === null) child.process.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const lines = (child: ChildGateway) => child.logs.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  const ask = (child: ChildGateway, requestId: string) =>
    new GraphQLClient(child.url, { authorization: `Bearer ${secrets.get(child)}`, 'x-request-id': requestId }).request(
      'query OpsAsk($q: String!) { image(id: "no-such-image") { answer(question: $q) { answer } } }',
      { q: PROMPT },
    );

  it('writes one line per request with its id, operation name and duration, and no credentials, prompts or image bytes', async () => {
    const image = await uploadNew(new GraphQLClient(quiet.url, { authorization: `Bearer ${secrets.get(quiet)}`, 'x-request-id': 'ops-upload-1' }), {
      format: 'png',
      width: 64,
      height: 64,
      color: '#0a0b0c',
    });
    const response = await ask(quiet, 'ops-ask-1');
    expect(response.errors).toBeUndefined();

    await expect.poll(() => lines(quiet).filter((line) => line.reqId === 'ops-ask-1').length).toBeGreaterThan(0);
    const [completed] = lines(quiet).filter((line) => line.reqId === 'ops-ask-1');
    expect(completed).toMatchObject({
      msg: 'request completed',
      req: { method: 'POST', url: '/graphql' },
      res: { statusCode: 200 },
      graphql: { operationName: 'OpsAsk', operationType: 'query', outcome: 'ok' },
    });
    expect(typeof (completed!.graphql as { durationMs: unknown }).durationMs).toBe('number');
    expect(lines(quiet).some((line) => line.reqId === 'ops-upload-1' && (line.graphql as { operationName?: string })?.operationName === 'UploadImage')).toBe(true);

    const all = quiet.logs.join('\n');
    expect(all).not.toContain(secrets.get(quiet));
    expect(all.toLowerCase()).not.toContain('authorization');
    expect(all).not.toContain(PROMPT);
    expect(all).not.toContain(image.bytes.subarray(0, 48).toString('base64'));
    expect(Math.max(...quiet.logs.map((line) => line.length))).toBeLessThan(2000);
  });

  it('runs from its build: the console page and its assets come from web/dist, the schema migrated from prisma/', async () => {
    // dist/ must resolve import.meta.url-relative paths as src/ does; a wrong depth serves 404s here.
    const origin = new URL(quiet.url).origin;
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Qwen VL gateway console</title>');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${origin}${script}`)).status).toBe(200);
    expect(await (await fetch(`${origin}/readyz`)).json()).toEqual({ status: 'ready', checks: { storage: 'ok', database: 'ok' } });
  });

  it('gives every line logged for a request its id, graphql-ws operations included', async () => {
    const client = wsClient(quiet.url);
    try {
      for await (const result of client.iterate({ query: 'query OpsSocketLogged { __typename }' })) expect(result.errors).toBeUndefined();
    } finally {
      await client.dispose();
    }
    await expect.poll(() => lines(quiet).some((line) => (line.graphql as { operationName?: string } | undefined)?.operationName === 'OpsSocketLogged')).toBe(true);
    const requestLines = lines(quiet).filter((line) => 'graphql' in line || 'req' in line);
    expect(requestLines.length).toBeGreaterThan(2);
    for (const line of requestLines) expect(typeof line.reqId).toBe('string');
  });

  it('logs the prompts only with LOG_PROMPTS=true', async () => {
    expect((await ask(verbose, 'ops-ask-verbose')).errors).toBeUndefined();
    await expect.poll(() => lines(verbose).find((line) => line.reqId === 'ops-ask-verbose')).toBeDefined();
    const line = lines(verbose).find((l) => l.reqId === 'ops-ask-verbose')!;
    expect(line.graphql).toMatchObject({ operationName: 'OpsAsk', prompts: [PROMPT] });
    expect(verbose.logs.join('\n')).not.toContain(secrets.get(verbose));
  });

  it('closes an unacknowledged socket without logging anything secret', async () => {
    const socket = new WebSocket(quiet.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers: { authorization: `Bearer ${secrets.get(quiet)}` } });
    const code = await new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(4408);
    expect(quiet.logs.join('\n')).not.toContain(secrets.get(quiet));
  });
});

describe('readiness when the database is gone', () => {
  it('/readyz answers 200, then 503 once the database is closed and cannot be opened again', async () => {
    expect((await fetch(`${base(g)}/readyz`)).status).toBe(200);
    await g.app.close();
    // Prisma reopens a closed client on the next query, so take the file away too:
    // a directory where the SQLite file was cannot be opened.
    for (const suffix of ['', '-wal', '-shm']) await rm(path.join(g.dataDir, `gateway.db${suffix}`), { force: true });
    await mkdir(path.join(g.dataDir, 'gateway.db'));
    const response = await fetch(`${base(g)}/readyz`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { reason: string }).reason).toMatch(/database/i);
  });
});
