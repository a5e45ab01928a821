import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../../src/modules/images/image.repository.js';
import { InProcessJobEvents } from '../../src/modules/jobs/job-events.js';
import { JobRunner } from '../../src/modules/jobs/job-runner.js';
import { VisionService } from '../../src/modules/vision/vision.service.js';
import type { JobRecord, NewJobItem } from '../../src/modules/jobs/job.repository.js';
import { ModelCallError } from '../../src/model/model-call-error.js';
import { GatewayError } from '../../src/platform/errors.js';
import { MemoryBudget } from '../support/memory/budget.js';
import { MemoryJobs } from '../support/memory/jobs.js';
import type { Reply } from '../support/stub-provider.js';
import { memoryWorld } from '../support/memory/world.js';

// JobRunner over in-memory stores, the real AnswerService and a stub provider.

function world(options: { reply?: Reply; budget?: MemoryBudget; itemRetries?: number } = {}) {
  const { images, provider, answerService: answers } = memoryWorld({ reply: options.reply });
  const jobs = new MemoryJobs();
  const events = new RecordingEvents();
  const budget = options.budget ?? new MemoryBudget();
  const runner = new JobRunner({
    jobs,
    images,
    answers,
    vision: new VisionService({ moderationPolicy: '', boxFormat: 'auto', maxPixels: 1_003_520, highResolution: false }),
    events,
    options: { imageConcurrency: 1, itemRetries: options.itemRetries ?? 2, retryDelayMs: 1, budgetFor: async () => budget },
    logger: pino({ level: 'silent' }),
  });
  const run = async (items: NewJobItem[]) => {
    jobs.add('job', 't', items);
    await runner.run('job', new AbortController().signal);
    return { job: jobs.jobs.get('job')!, items: jobs.itemsOf('job') };
  };
  return { images, provider, published: events.published, run };
}

class RecordingEvents extends InProcessJobEvents {
  readonly published: JobRecord[] = [];

  override publish(job: JobRecord): void {
    this.published.push(job);
    super.publish(job);
  }
}

const question = (image: ImageRecord | string, prompt: string): NewJobItem => ({ imageId: typeof image === 'string' ? image : image.id, kind: 'QUESTION', style: null, prompt });

describe('JobRunner', () => {
  it('asks once per image with all of that image’s items, and succeeds when all are answered', async () => {
    const w = world();
    const [a, b] = [w.images.add('t', 'sha-a'), w.images.add('t', 'sha-b')];
    const { job, items } = await w.run([question(a, 'One?'), question(b, 'One?'), question(a, 'Two?')]);
    expect(w.provider.calls.map((c) => [c.image.data.toString(), c.prompts])).toEqual([
      ['sha-a', ['One?', 'Two?']],
      ['sha-b', ['One?']],
    ]);
    expect(job).toMatchObject({ status: 'SUCCEEDED', total: 3, done: 3, failed: 0, error: null });
    expect(items.map((i) => [i.status, i.attempts, i.answerId !== null])).toEqual(Array(3).fill(['SUCCEEDED', 1, true]));
    expect(w.published.map((p) => p.status).at(-1)).toBe('SUCCEEDED');
  });

  it('retries transient failures, asking again only for the items that failed', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    w.provider.failNext(new GatewayError('MODEL_UNAVAILABLE', 'down', { retryable: true }));
    const { job, items } = await w.run([question(image, 'One?'), question(image, 'Two?')]);
    expect(w.provider.calls.map((c) => c.prompts)).toEqual([['One?', 'Two?'], ['One?', 'Two?']]);
    expect(job).toMatchObject({ status: 'SUCCEEDED', done: 2 });
    expect(items.map((i) => i.attempts)).toEqual([2, 2]);
  });

  it('waits out a quota refusal instead of spending retries on it, however many times it comes', async () => {
    const w = world({ itemRetries: 1 });
    const image = w.images.add('t', 'sha');
    const quota = () => new ModelCallError('MODEL_QUOTA_EXHAUSTED', 'out of credit', { retryAfter: 0 });
    w.provider.failNext(quota(), quota(), quota(), quota());
    const { job, items } = await w.run([question(image, 'One?')]);
    expect(w.provider.calls).toHaveLength(5);
    expect(job).toMatchObject({ status: 'SUCCEEDED', done: 1, failed: 0 });
    expect(items.map((i) => [i.status, i.attempts])).toEqual([['SUCCEEDED', 1]]);
  });

  it('records an item as failed after its last retry', async () => {
    const w = world({ itemRetries: 1 });
    const image = w.images.add('t', 'sha');
    const down = new GatewayError('MODEL_UNAVAILABLE', 'down', { retryable: true });
    w.provider.failNext(down, down);
    const { job, items } = await w.run([question(image, 'One?')]);
    expect(w.provider.calls).toHaveLength(2);
    expect(items[0]).toMatchObject({ status: 'FAILED', errorCode: 'MODEL_UNAVAILABLE', error: 'down', attempts: 2 });
    expect(job).toMatchObject({ status: 'FAILED', failed: 1, error: "All 1 items failed; see the items' errors." });
  });

  it('lets an item fail without failing the job, nor retrying what is not transient', async () => {
    const w = world({ reply: (prompt) => (prompt === 'Bad?' ? new GatewayError('MODEL_REJECTED', 'refused') : `answer to ${prompt}`) });
    const image = w.images.add('t', 'sha');
    const { job, items } = await w.run([question(image, 'Good?'), question(image, 'Bad?'), question('deleted-image', 'Gone?')]);
    expect(job).toMatchObject({ status: 'SUCCEEDED', done: 1, failed: 2 });
    expect(items.map((i) => [i.status, i.errorCode])).toEqual([
      ['SUCCEEDED', null],
      ['FAILED', 'MODEL_REJECTED'],
      ['FAILED', 'NOT_FOUND'],
    ]);
    expect(w.provider.calls).toHaveLength(1);
  });

  it('hides the message of an uncoded failure from the item', async () => {
    const w = world({ reply: () => new Error('socket hang up at 10.0.0.7') });
    const { items } = await w.run([question(w.images.add('t', 'sha'), 'One?')]);
    expect(items[0]).toMatchObject({ errorCode: 'INTERNAL_SERVER_ERROR', error: 'Unexpected failure; the gateway logged the cause.' });
  });

  it('ends the remaining items RATE_LIMITED once the budget refuses, asking nothing more', async () => {
    // Room for the first image's call (~240 estimated, 100 billed) and not much more.
    const w = world({ budget: new MemoryBudget(300) });
    const [a, b, c] = [w.images.add('t', 'sha-a'), w.images.add('t', 'sha-b'), w.images.add('t', 'sha-c')];
    const { job, items } = await w.run([question(a, 'One?'), question(b, 'One?'), question(c, 'One?')]);
    expect(w.provider.calls).toHaveLength(1);
    expect(items.map((i) => [i.status, i.errorCode])).toEqual([
      ['SUCCEEDED', null],
      ['FAILED', 'RATE_LIMITED'],
      ['FAILED', 'RATE_LIMITED'],
    ]);
    expect(job).toMatchObject({ status: 'SUCCEEDED', done: 1, failed: 2 });
  });

  it('says the budget ran out when it refused every item', async () => {
    const w = world({ budget: new MemoryBudget(10) });
    const { job } = await w.run([question(w.images.add('t', 'sha'), 'One?')]);
    expect(w.provider.calls).toHaveLength(0);
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(/^All 1 items failed; see the items' errors\. The key's token budget ran out: /);
  });
});
