import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../src/model/model-call-error.js';
import type { AnswerResult } from '../../src/modules/answers/answer.service.js';
import type { AnswerRequest } from '../../src/modules/answers/answer-requests.js';
import type { ImageRecord } from '../../src/modules/images/image.repository.js';
import { GatewayError } from '../../src/platform/errors.js';
import { MemoryBudget } from '../support/memory/budget.js';
import { StubProvider, USAGE_PER_ANSWER } from '../support/stub-provider.js';
import { memoryWorld, type WorldOptions } from '../support/memory/world.js';

// AnswerService over in-memory stores and a stub provider: the cache layers, packing, single
// flight, refresh, cache scope and token reservations, without a database or an endpoint.

const world = (options: WorldOptions = {}) => {
  const w = memoryWorld(options);
  return { ...w, service: w.freshService };
};

const ask = (image: ImageRecord, prompt: string, refresh = false): AnswerRequest => ({ image, kind: 'QUESTION', style: null, prompt, refresh });

function ok(result: AnswerResult | Error | undefined): AnswerResult {
  if (!result || result instanceof Error) throw new Error(`expected an answer, got ${String(result)}`);
  return result;
}

const texts = (results: Array<AnswerResult | Error>) => results.map((r) => (r instanceof Error ? r.message : r.record.text));

describe('AnswerService', () => {
  it('asks upstream once per image with all its missing prompts, then serves them from memory', async () => {
    const w = world();
    const service = w.service();
    const [cat, dog] = [w.images.add('t', 'sha-cat'), w.images.add('t', 'sha-dog')];

    const first = await service.answerAll([ask(cat, 'What?'), ask(dog, 'What?'), ask(cat, 'Where?'), ask(cat, 'What?')], new MemoryBudget());
    expect(texts(first)).toEqual(['answer to What?', 'answer to What?', 'answer to Where?', 'answer to What?']);
    expect(first.map((r) => ok(r).cached)).toEqual([false, false, false, false]);
    // The repeated prompt rode along with the first: one call per image, its prompts packed.
    expect(w.provider.calls.map((c) => [c.image.data.toString(), c.prompts])).toEqual([
      ['sha-cat', ['What?', 'Where?']],
      ['sha-dog', ['What?']],
    ]);
    expect(ok(first[0]).record).toBe(ok(first[3]).record);
    expect(ok(first[0]).record).toMatchObject({ imageId: cat.id, tenant: 't', model: 'stub-vl', ...USAGE_PER_ANSWER });

    const again = await service.answerAll([ask(cat, 'Where?')], new MemoryBudget());
    expect(ok(again[0])).toMatchObject({ cached: true, record: { text: 'answer to Where?' } });
    expect(w.provider.calls).toHaveLength(2);
  });

  it('splits one image’s prompts into calls of at most QWEN_MAX_PROMPTS_PER_CALL', async () => {
    const w = world({ promptsPerCall: 2 });
    const image = w.images.add('t', 'sha');
    await w.service().answerAll(['a', 'b', 'c'].map((p) => ask(image, p)), new MemoryBudget());
    expect(w.provider.calls.map((c) => c.prompts)).toEqual([['a', 'b'], ['c']]);
  });

  it('serves from the store when memory is empty (a restart), without an upstream call', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    await w.service().answerAll([ask(image, 'What?')], new MemoryBudget());
    const afterRestart = await w.service().answerAll([ask(image, 'What?')], new MemoryBudget());
    expect(ok(afterRestart[0])).toMatchObject({ cached: true, record: { text: 'answer to What?' } });
    expect(w.provider.calls).toHaveLength(1);
  });

  it('lets concurrent callers of one key share a single upstream call', async () => {
    const w = world();
    const service = w.service();
    const image = w.images.add('t', 'sha');
    w.provider.hold();
    const first = service.answerAll([ask(image, 'What?')], new MemoryBudget());
    await expect.poll(() => w.provider.calls.length).toBe(1);
    const second = service.answerAll([ask(image, 'What?'), ask(image, 'Other?')], new MemoryBudget());
    await expect.poll(() => w.provider.calls.length).toBe(2);
    w.provider.release();
    const [[mine], [theirs, other]] = await Promise.all([first, second]);
    expect(ok(mine).cached).toBe(false);
    expect(ok(theirs)).toMatchObject({ record: ok(mine).record, cached: true, match: { kind: 'EXACT' } });
    expect(ok(other).cached).toBe(false);
    // The second caller's call carried only what nobody was asking yet.
    expect(w.provider.calls.map((c) => c.prompts)).toEqual([['What?'], ['Other?']]);
  });

  it('keys answers by model too: another model’s stored answer is not served', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    await w.service().answerAll([ask(image, 'What?')], new MemoryBudget());
    const other = new StubProvider(undefined, 'other-vl');
    const [result] = await w.service(other).answerAll([ask(image, 'What?')], new MemoryBudget());
    expect(ok(result)).toMatchObject({ cached: false, record: { model: 'other-vl' } });
    expect(other.calls).toHaveLength(1);
  });

  it('asks again on refresh and replaces the stored answer', async () => {
    let version = 1;
    const w = world({ reply: (prompt) => `${prompt} v${version}` });
    const service = w.service();
    const image = w.images.add('t', 'sha');
    const [before] = await service.answerAll([ask(image, 'What?')], new MemoryBudget());
    version = 2;
    const [refreshed] = await service.answerAll([ask(image, 'What?', true)], new MemoryBudget());
    expect(ok(refreshed)).toMatchObject({ cached: false, record: { id: ok(before).record.id, text: 'What? v2' } });
    expect([...w.answers.rows.values()].map((row) => row.text)).toEqual(['What? v2']);
    for (const fresh of [service, w.service()]) expect(texts(await fresh.answerAll([ask(image, 'What?')], new MemoryBudget()))).toEqual(['What? v2']);
    expect(w.provider.calls).toHaveLength(2);
  });

  it('in tenant scope, never serves one tenant another’s answer about the same bytes', async () => {
    const w = world({ scope: 'tenant' });
    const service = w.service();
    const [alice, bob] = [w.images.add('alice', 'same-bytes'), w.images.add('bob', 'same-bytes')];
    await service.answerAll([ask(alice, 'What?')], new MemoryBudget());
    const [bobs] = await service.answerAll([ask(bob, 'What?')], new MemoryBudget());
    expect(ok(bobs)).toMatchObject({ cached: false, record: { imageId: bob.id, tenant: 'bob', totalTokens: USAGE_PER_ANSWER.totalTokens } });
    expect(w.provider.calls).toHaveLength(2);
  });

  it('in global scope, pays once for the same bytes across tenants, each getting a row of its own at no cost', async () => {
    const w = world({ scope: 'global' });
    const [alice, bob] = [w.images.add('alice', 'same-bytes'), w.images.add('bob', 'same-bytes')];
    await w.service().answerAll([ask(alice, 'What?')], new MemoryBudget());
    // A fresh service: found in the store under Alice's image, not in memory.
    const [bobs] = await w.service().answerAll([ask(bob, 'What?')], new MemoryBudget());
    expect(ok(bobs)).toMatchObject({ cached: true, record: { imageId: bob.id, tenant: 'bob', text: 'answer to What?', totalTokens: 0 } });
    expect(w.answers.rows.size).toBe(2);
    expect(w.provider.calls).toHaveLength(1);
  });

  it('reserves each call’s estimate and settles it to what was billed; a failed call bills nothing', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    const budget = new MemoryBudget();
    await w.service().answerAll([ask(image, 'a'), ask(image, 'b')], budget);
    expect(budget.settled).toEqual([2 * USAGE_PER_ANSWER.totalTokens]);
    expect(budget.spent).toBe(2 * USAGE_PER_ANSWER.totalTokens);

    w.provider.failNext(new GatewayError('MODEL_UNAVAILABLE', 'down', { retryable: true }));
    const [failed] = await w.service().answerAll([ask(image, 'c')], budget);
    expect(failed).toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(budget.settled).toEqual([200, 0]);
    expect(budget.spent).toBe(200);
  });

  it('settles what an unusable reply was billed: a prompt that fails after billed attempts still pays for them', async () => {
    const billed = { promptTokens: 250, completionTokens: 40, totalTokens: 290, cachedTokens: 0 };
    const w = world({ reply: (prompt) => (prompt === 'garbled' ? new ModelCallError('MODEL_BAD_RESPONSE', 'not JSON, twice', { billed }) : `answer to ${prompt}`) });
    const image = w.images.add('t', 'sha');
    const budget = new MemoryBudget();
    const [failed, answered] = await w.service().answerAll([ask(image, 'garbled'), ask(image, 'fine')], budget);
    expect(failed).toMatchObject({ code: 'MODEL_BAD_RESPONSE' });
    expect(ok(answered).record.text).toBe('answer to fine');
    expect(budget.settled).toEqual([billed.totalTokens + USAGE_PER_ANSWER.totalTokens]);
    expect(w.answers.rows.size).toBe(1);
  });

  it('refuses a call whose reservation does not fit, without asking or leaving it in flight for others', async () => {
    const w = world();
    const service = w.service();
    const image = w.images.add('t', 'sha');
    const [refused] = await service.answerAll([ask(image, 'What?')], new MemoryBudget(10));
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect(w.provider.calls).toHaveLength(0);
    // Another caller with room in its budget is not handed the refusal: it asks.
    expect(texts(await service.answerAll([ask(image, 'What?')], new MemoryBudget()))).toEqual(['answer to What?']);
  });

  it('returns one prompt’s failure in place, and caches no failure', async () => {
    let failing = true;
    const w = world({ reply: (prompt) => (prompt === 'Bad?' && failing ? new GatewayError('MODEL_BAD_RESPONSE', 'unreadable') : `answer to ${prompt}`) });
    const service = w.service();
    const image = w.images.add('t', 'sha');
    const results = await service.answerAll([ask(image, 'Good?'), ask(image, 'Bad?')], new MemoryBudget());
    expect(texts(results)).toEqual(['answer to Good?', 'unreadable']);
    failing = false;
    expect(texts(await service.answerAll([ask(image, 'Bad?')], new MemoryBudget()))).toEqual(['answer to Bad?']);
    expect(w.provider.calls.map((c) => c.prompts)).toEqual([['Good?', 'Bad?'], ['Bad?']]);
  });
});
