import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../src/model/model-call-error.js';
import type { AnswerRequest } from '../../src/modules/answers/answer-requests.js';
import type { AnswerStreamChunk } from '../../src/modules/answers/answer-streams.js';
import type { ImageRecord } from '../../src/modules/images/image.repository.js';
import { MemoryBudget } from '../support/memory/budget.js';
import { replyPieces, USAGE_PER_ANSWER } from '../support/stub-provider.js';
import { memoryWorld } from '../support/memory/world.js';

// AnswerService's streaming mode over in-memory stores and the stub provider:
// what is reserved, settled and stored, and when the upstream call is cancelled.

function world() {
  const w = memoryWorld({ reply: (prompt) => `the answer to ${prompt}` });
  return { ...w, streams: { open: w.answerService.stream.bind(w.answerService) } };
}

const ask = (image: ImageRecord, prompt: string, refresh = false): AnswerRequest => ({ image, kind: 'QUESTION', style: null, prompt, refresh });

async function all(chunks: AsyncIterable<AnswerStreamChunk>): Promise<AnswerStreamChunk[]> {
  const seen: AnswerStreamChunk[] = [];
  for await (const chunk of chunks) seen.push(chunk);
  return seen;
}

describe('AnswerService.stream', () => {
  it('streams the reply in pieces, reserves the estimate first and settles it to the billed usage, and stores the row', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    const budget = new MemoryBudget();
    const chunks = await all(await w.streams.open(ask(image, 'What?'), budget));
    expect(chunks.slice(0, -1).map((c) => c.delta)).toEqual(replyPieces('the answer to What?'));
    const last = chunks.at(-1)!;
    expect(last).toMatchObject({ delta: '', answer: { cached: false, record: { text: 'the answer to What?', imageId: image.id, ...USAGE_PER_ANSWER } } });
    expect(budget.settled).toEqual([USAGE_PER_ANSWER.totalTokens]);
    expect(budget.spent).toBe(USAGE_PER_ANSWER.totalTokens);
    expect(w.provider.chats).toEqual([{ request: { images: [expect.objectContaining({ data: Buffer.from('sha') })], turns: [{ role: 'user', text: 'What?' }] }, streamed: true }]);

    // The same row answerAll serves, from memory, with no upstream call.
    const [served] = await w.answerService.answerAll([ask(image, 'What?')], new MemoryBudget());
    expect(served).toMatchObject({ cached: true, record: { id: last.answer!.record.id } });
    expect(w.provider.calls).toHaveLength(0);
  });

  it('a question the budget cannot cover is refused before the stream opens, with no upstream call', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    await expect(w.streams.open(ask(image, 'Dear?'), new MemoryBudget(10))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(w.provider.chats).toHaveLength(0);
  });

  it('a model failure is the last chunk, the reservation goes back, and nothing is stored', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    const budget = new MemoryBudget();
    w.provider.failNext(new ModelCallError('MODEL_REJECTED', 'refused'));
    const chunks = await all(await w.streams.open(ask(image, 'Bad?'), budget));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.error).toMatchObject({ code: 'MODEL_REJECTED', message: 'refused' });
    expect(budget.settled).toEqual([0]);
    expect(budget.spent).toBe(0);
    expect(await w.answers.findByKeys([{ sha256: 'sha', prompt: 'Bad?', model: 'stub-vl' }], 't')).toEqual([]);
  });

  it('when the only listener leaves, the upstream call is aborted, the reservation settled to its estimated prompt (what the endpoint read) and nothing stored', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    const budget = new MemoryBudget();
    w.provider.hold();
    const chunks = await w.streams.open(ask(image, 'Gone?'), budget);
    await expect.poll(() => w.provider.chats.length).toBe(1);
    await chunks.return(undefined);
    const prompt = w.estimate.promptOfCall(image, ['Gone?']);
    await expect.poll(() => budget.settled).toEqual([prompt]);
    expect(budget.spent).toBe(prompt);
    expect(await w.answers.findByKeys([{ sha256: 'sha', prompt: 'Gone?', model: 'stub-vl' }], 't')).toEqual([]);
  });

  it('a caller signal that fires counts as leaving too', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    const budget = new MemoryBudget();
    w.provider.hold();
    const client = new AbortController();
    await w.streams.open(ask(image, 'Closed?'), budget, client.signal);
    await expect.poll(() => w.provider.chats.length).toBe(1);
    client.abort();
    await expect.poll(() => budget.settled).toEqual([w.estimate.promptOfCall(image, ['Closed?'])]);
  });

  it('a joiner pays nothing and gets the answer as cached; only the starter reserved', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    const [first, second] = [new MemoryBudget(), new MemoryBudget()];
    w.provider.hold();
    const starter = await w.streams.open(ask(image, 'Both?'), first);
    const joiner = await w.streams.open(ask(image, 'Both?'), second);
    w.provider.release();
    const [a, b] = await Promise.all([all(starter), all(joiner)]);
    expect(a.at(-1)!.answer).toMatchObject({ cached: false });
    expect(b.at(-1)!.answer).toMatchObject({ cached: true, record: { id: a.at(-1)!.answer!.record.id } });
    expect(b.map((c) => c.delta).join('')).toBe('the answer to Both?');
    expect(w.provider.chats).toHaveLength(1);
    expect([first.settled, second.settled]).toEqual([[USAGE_PER_ANSWER.totalTokens], []]);
  });

  it('serves a stored answer as one chunk; refresh asks again and replaces it', async () => {
    const w = world();
    const image = w.images.add('t', 'sha');
    const stored = (await all(await w.streams.open(ask(image, 'Again?'), new MemoryBudget()))).at(-1)!.answer!.record;
    const cached = await all(await w.streams.open(ask(image, 'Again?'), new MemoryBudget()));
    expect(cached).toEqual([{ delta: 'the answer to Again?', answer: { cached: true, record: stored, match: expect.objectContaining({ kind: 'EXACT' }) as unknown } }]);
    const refreshed = await all(await w.streams.open(ask(image, 'Again?', true), new MemoryBudget()));
    expect(refreshed.at(-1)!.answer).toMatchObject({ cached: false, record: { id: stored.id } });
    expect(w.provider.chats).toHaveLength(2);
  });
});
