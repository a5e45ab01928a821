import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeQwen, type FakeQwen } from '../fake-qwen/index.js';
import { AnswerStreamDocument, AskQuestionDocument, JobCompletedDocument, SubmitAnalysisDocument } from '../generated/graphql.js';
import { PROCESS_START_MS, spawnGateway, type ChildGateway } from '../support/child-gateway.js';
import { collect, wsClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../support/otlp-collector.js';
import { startTracing } from '../../src/platform/tracing/start-tracing.js';

// OpenTelemetry traces from real gateway processes to a fake OTLP/HTTP collector (http/json, decoded).
// The batch exporter waits far longer than any test: every span arrives through the flush on SIGTERM.

const SERVER = 2;
const CLIENT = 3;
const QUESTION = 'What colour is the square?';
const RECORDER = new URL('../support/record-loaded-modules.mjs', import.meta.url).pathname;

let fake: FakeQwen;
let collector: OtlpCollector;
let tmp: string;
const children: ChildGateway[] = [];

beforeAll(async () => {
  fake = await startFakeQwen({ apiKey: 'k', usage: { prompt: 1234, completion: 56 } });
  collector = await startOtlpCollector();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gateway-tracing-'));
});
afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await fake.close();
  await collector.close();
  await rm(tmp, { recursive: true, force: true });
});

/** A gateway process of its own (own data, own service name); `modules`: where it lists the CommonJS files it loaded at exit. */
async function start(name: string, env: Record<string, string>): Promise<{ gateway: ChildGateway; modules: string }> {
  const modules = path.join(tmp, `${name}-modules.json`);
  const gateway = await spawnGateway({
    DATA_DIR: path.join(tmp, name),
    QWEN_BASE_URL: fake.url,
    QWEN_API_KEY: 'k',
    QWEN_MODEL: 'qwen-vl-test',
    QWEN_MAX_RETRIES: '0',
    OTEL_SERVICE_NAME: name,
    OTEL_BSP_SCHEDULE_DELAY: '600000',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${RECORDER}`.trim(),
    LOADED_MODULES_FILE: modules,
    ...env,
  });
  children.push(gateway);
  return { gateway, modules };
}

async function stop(gateway: ChildGateway): Promise<void> {
  gateway.process.kill('SIGTERM');
  expect(await gateway.exited).toBe(0);
}

const loaded = async (file: string) => (JSON.parse(await readFile(file, 'utf8')) as string[]).filter((m) => m.includes('/node_modules/@opentelemetry/'));
const of = (service: string) => collector.spans.filter((span) => span.service === service);
const childrenOf = (spans: CollectedSpan[], parent: CollectedSpan) => spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);
const cacheResults = (span: CollectedSpan) => span.events.filter((event) => event.name === 'gateway.answer').map((event) => event.attributes['gateway.cache.result']);
const askSpans = (spans: CollectedSpan[]) => spans.filter((span) => span.kind === SERVER && span.attributes['graphql.operation.name'] === 'AskQuestion');

const PROCESS_TEST_TIMEOUT = 3 * PROCESS_START_MS;

describe('tracing (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('traces a request and its GraphQL operation, with a GenAI span per model call whose traceparent reaches the endpoint; a cached repeat calls nothing; prompts stay out', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    const { gateway, modules } = await start('traced', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const image = await uploadNew(gateway.client, { format: 'png', width: 32, height: 24, color: '#3366cc' });
    fake.reset();
    const first = await gateway.client.request(AskQuestionDocument, { imageId: image.id, question: QUESTION });
    expect(first.data!.askQuestion.cached).toBe(false);
    const upstream = fake.requests[0]!;
    const repeat = await gateway.client.request(AskQuestionDocument, { imageId: image.id, question: QUESTION });
    expect(repeat.data!.askQuestion.cached).toBe(true);
    // Two questions in one job: one packed call, under the job's span.
    const job = (await gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: [image.id], questions: ['Is it square?', 'Is it blue?'] } })).data!.submitAnalysis;
    const ws = wsClient(gateway.url);
    await collect(ws, JobCompletedDocument, { id: job.id });
    await collect(ws, AnswerStreamDocument, { imageId: image.id, question: 'Streamed over the socket?' });
    await ws.dispose();
    await stop(gateway);

    const spans = of('traced');
    const [asked, cached] = askSpans(spans);
    expect(asked).toMatchObject({ name: 'mutation AskQuestion', attributes: { 'graphql.operation.type': 'mutation', 'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200 } });
    expect(cacheResults(asked!)).toEqual(['miss']);
    const [call, ...more] = childrenOf(spans, asked!);
    expect(more).toEqual([]);
    expect(call).toMatchObject({
      name: 'chat qwen-vl-test',
      kind: CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai_compatible',
        'gen_ai.request.model': 'qwen-vl-test',
        'gen_ai.response.model': 'qwen-vl-test',
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.usage.output_tokens': 56,
        'gen_ai.response.finish_reasons': ['stop'],
        'gateway.prompts': 1,
        'http.response.status_code': 200,
      },
    });
    expect(call!.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    // The endpoint was asked under the model call's own span.
    expect(upstream.traceparent).toBe(`00-${call!.traceId}-${call!.spanId}-01`);

    expect(cacheResults(cached!)).toEqual(['hit']);
    expect(childrenOf(spans, cached!)).toEqual([]);

    // The graphql-ws subscription has its own span, named after its operation.
    expect(spans.find((span) => span.name === 'subscription JobCompleted')).toMatchObject({
      kind: SERVER,
      attributes: { 'graphql.operation.type': 'subscription', 'graphql.operation.name': 'JobCompleted', 'network.protocol.name': 'websocket' },
    });
    // A stream's model call is a child of its subscription's span.
    const streamed = spans.find((span) => span.name === 'subscription AnswerStream')!;
    expect(childrenOf(spans, streamed).map((span) => span.name)).toEqual(['chat qwen-vl-test']);

    const jobSpan = spans.find((span) => span.attributes['gateway.job.id'] === job.id)!;
    expect(jobSpan.name).toBe('job');
    expect(childrenOf(spans, jobSpan).map((span) => span.attributes['gateway.prompts'])).toEqual([2]);

    // Without LOG_PROMPTS no question or answer is recorded anywhere.
    const recorded = JSON.stringify(spans);
    expect(recorded).not.toContain(QUESTION);
    expect(recorded).not.toContain('gen_ai.input.messages');
    expect(recorded).not.toContain(first.data!.askQuestion.answer);
    // The detector below does see the SDK when it is loaded.
    expect(await loaded(modules)).toContainEqual(expect.stringContaining('/@opentelemetry/sdk-trace-node/'));
  });

  it('records prompts and replies (never images) on model spans with LOG_PROMPTS=true', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    const { gateway } = await start('prompts', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', LOG_PROMPTS: 'true' });
    const image = await uploadNew(gateway.client, { format: 'png', width: 30, height: 20, color: '#cc3366' });
    const answered = await gateway.client.request(AskQuestionDocument, { imageId: image.id, question: QUESTION });
    await stop(gateway);

    const spans = of('prompts');
    const [call] = childrenOf(spans, askSpans(spans)[0]!);
    expect(JSON.parse(call!.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: QUESTION }] }]);
    expect(JSON.parse(call!.attributes['gen_ai.output.messages'] as string)).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: answered.data!.askQuestion.answer }] }]);
    expect(JSON.stringify(spans)).not.toContain('data:image');
  });

  it('loads no OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT is unset, and sends no traceparent', { timeout: PROCESS_TEST_TIMEOUT }, async () => {
    const { gateway, modules } = await start('untraced', {});
    const image = await uploadNew(gateway.client, { format: 'png', width: 28, height: 20, color: '#33cc66' });
    fake.reset();
    await gateway.client.request(AskQuestionDocument, { imageId: image.id, question: QUESTION });
    await stop(gateway);

    expect(fake.requests[0]!.traceparent).toBeUndefined();
    expect(of('untraced')).toEqual([]);
    expect((await loaded(modules)).filter((file) => !file.includes('/@opentelemetry/api/'))).toEqual([]);
  });

  it('exports http/protobuf when OTEL_EXPORTER_OTLP_PROTOCOL says so, flushing on shutdown', async () => {
    const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    try {
      const tracing = await startTracing({ protocol: 'http/protobuf', serviceName: 'protobuf' });
      trace.getTracer('test').startSpan('one').end();
      await tracing!.shutdown();
      expect(collector.contentTypes).toContain('application/x-protobuf');
    } finally {
      if (endpoint === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
      trace.disable();
      context.disable();
      propagation.disable();
    }
  });
});
