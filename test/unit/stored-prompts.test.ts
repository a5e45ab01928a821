import { describe, expect, it } from 'vitest';
import type { AnswerKey, AnswerRecord, AnswerWithSha, NewAnswer, PromptSource } from '../../src/modules/answers/answer.repository.js';
import { StoredPrompts } from '../../src/modules/answers/stored-prompts.js';

// The stored prompts in front of a store held in memory: which lookups still reach the store.

/** Rows by image; every read is counted, and a load can be held open to race a write against it. */
class CountingStore implements PromptSource {
  readonly rows: AnswerRecord[] = [];
  readonly lookups: AnswerKey[][] = [];
  loads = 0;
  private hold: Promise<void> | undefined;

  /** Holds the next loads open (after their snapshot) until the returned function is called. */
  holdLoads(): () => void {
    let release!: () => void;
    this.hold = new Promise((resolve) => (release = resolve));
    return () => {
      release();
      this.hold = undefined;
    };
  }

  async promptsOf(imageId: string) {
    this.loads++;
    const snapshot = this.rows.filter((row) => row.imageId === imageId).map(({ prompt, model }) => ({ prompt, model }));
    await this.hold;
    return snapshot;
  }

  async findByKeys(keys: readonly AnswerKey[]): Promise<AnswerWithSha[]> {
    this.lookups.push([...keys]);
    return this.rows.filter((row) => keys.some((key) => key.imageId === row.imageId && key.prompt === row.prompt && key.model === row.model)).map((row) => ({ ...row, image: { sha256: 'sha' } }));
  }

  async save(answer: NewAnswer): Promise<AnswerRecord> {
    const row = { id: `a${this.rows.length}`, createdAt: new Date(), flagged: null, categories: null, embedding: null, embeddingModel: null, ...answer } as AnswerRecord;
    this.rows.push(row);
    return row;
  }

  adopt(answer: NewAnswer): Promise<AnswerRecord> {
    return this.save(answer);
  }
}

const row = (imageId: string, prompt: string, tenant = 't'): NewAnswer => ({
  tenant, imageId, prompt, model: 'm', kind: 'QUESTION', style: null, text: `about ${prompt}`, finishReason: 'stop',
  promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedTokens: 0, latencyMs: 1,
});
const key = (imageId: string, prompt: string): AnswerKey => ({ imageId, sha256: 'sha', prompt, model: 'm' });

describe('StoredPrompts', () => {
  it('loads an image once; a prompt it has no answer for is a miss without a lookup, one it has is looked up', async () => {
    const store = new CountingStore();
    await store.save(row('img', 'old'));
    const prompts = new StoredPrompts(store);

    expect(await prompts.findByKeys([key('img', 'new')], 't')).toEqual([]);
    expect(await prompts.findByKeys([key('img', 'other')], 't')).toEqual([]);
    expect(store.loads).toBe(1);
    expect(store.lookups).toEqual([]);

    const [found] = await prompts.findByKeys([key('img', 'old'), key('img', 'new')], 't');
    expect(found?.text).toBe('about old');
    expect(store.lookups).toEqual([[key('img', 'old')]]);
  });

  it('holds what this process stores and adopts from then on, and what it stored while the image was loading', async () => {
    const store = new CountingStore();
    const prompts = new StoredPrompts(store);
    const release = store.holdLoads();
    const loading = prompts.findByKeys([key('img', 'a')], 't');
    await prompts.save(row('img', 'during the load')); // committed after the load's SELECT
    release();
    expect(await loading).toEqual([]);

    await prompts.adopt(row('img', 'adopted'));
    expect((await prompts.findByKeys([key('img', 'during the load')], 't'))[0]?.text).toBe('about during the load');
    expect((await prompts.findByKeys([key('img', 'adopted')], 't'))[0]?.text).toBe('about adopted');
    expect(store.loads).toBe(1);
  });

  it('asks the store after a deletion drops the image, and for a global scope or a key naming no image', async () => {
    const store = new CountingStore();
    const prompts = new StoredPrompts(store);
    await prompts.findByKeys([key('img', 'a')], 't');
    prompts.forgetImages(['img']);
    await prompts.findByKeys([key('img', 'a')], 't');
    expect(store.loads).toBe(2);
    prompts.forgetTenant('t');
    await prompts.findByKeys([key('img', 'a')], 't');
    expect(store.loads).toBe(3);
    expect(store.lookups).toEqual([]);

    await prompts.findByKeys([key('img', 'a')], null);
    await prompts.findByKeys([{ sha256: 'sha', prompt: 'a', model: 'm' }], 't');
    expect(store.lookups).toHaveLength(2);
  });

  it('asks the store when the image was dropped while it loaded: a write since may be missing from what was loaded', async () => {
    const store = new CountingStore();
    const prompts = new StoredPrompts(store);
    const release = store.holdLoads();
    const loading = prompts.findByKeys([key('img', 'a')], 't');
    prompts.forgetImages(['img']);
    await store.save(row('img', 'a')); // unseen by the index: it had no entry to add it to
    release();
    expect((await loading)[0]?.text).toBe('about a');
    expect(store.lookups).toHaveLength(1);
  });
});
