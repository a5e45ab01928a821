import { LRUCache } from 'lru-cache';
import type { AnswerKey, AnswerRecord, AnswerStore, AnswerWithSha, NewAnswer, PromptSource } from './answer.repository.js';

/** An image's stored (prompt, model) pairs; `pairs` null when they are too many to hold (then the store is asked). */
interface ImagePrompts {
  tenant: string;
  pairs: Set<string> | null;
  /** The characters of `pairs`, counted in the index's total. */
  chars: number;
  loaded: Promise<void>;
}

/** The characters of prompts the index holds at most (about 16 MB), least recently asked images dropped first. */
const MOST_CHARS = 8 * 1024 * 1024;
/** An image holding more is not indexed: its lookups go to the store, as without the index. */
const MOST_CHARS_PER_IMAGE = MOST_CHARS / 16;
const MOST_IMAGES = 10_000;
const pairOf = (prompt: string, model: string) => JSON.stringify([prompt, model]);

/**
 * The store, with the prompts each image has stored answers for held in
 * memory: a fresh question about an image whose prompts are loaded is known
 * to have no stored answer without a statement. Loaded once per image (one
 * indexed SELECT of prompt and model), then kept current by this process's
 * own writes, which pass through here (saves and adoptions, the streams'
 * too). It is exact only while this process is the only writer of the
 * answers, which is why AnswerService gets it for SQLite without REDIS_URL
 * alone (answers/index.ts): replicas, each writing the same database, keep
 * the statement. Only the tenant's own image is looked up this way (CACHE_SCOPE
 * tenant); a global scope reads every tenant's copy of the bytes, so it
 * keeps the statement too.
 *
 * A pair the index holds is looked up in the store, as before; only an
 * absent pair is a miss without SQL. So a deletion that leaves a pair
 * behind (deleteResults names rows by id) costs a lookup, never a wrong
 * answer; deleted images and erased tenants are dropped (deletion-effects.ts)
 * to free the memory.
 */
export class StoredPrompts implements AnswerStore {
  private readonly images = new LRUCache<string, ImagePrompts>({ max: MOST_IMAGES, dispose: (entry) => (this.chars -= entry.chars) });
  /** The characters every entry holds. */
  private chars = 0;

  constructor(private readonly store: PromptSource) {}

  async findByKeys(keys: readonly AnswerKey[], tenant: string | null): Promise<AnswerWithSha[]> {
    if (tenant === null || keys.some((key) => !key.imageId)) return this.store.findByKeys(keys, tenant);
    const known = new Map<string, ImagePrompts | undefined>();
    await Promise.all(
      [...new Set(keys.map((key) => key.imageId!))].map(async (imageId) => {
        const entry = this.entryOf(imageId, tenant);
        known.set(imageId, await entry.loaded.then(
          // Dropped (evicted, deleted) meanwhile: a write since may not be in it, so the store is asked.
          () => (this.images.peek(imageId) === entry ? entry : undefined),
          () => undefined,
        ));
      }),
    );
    const unknown = keys.filter((key) => known.get(key.imageId!)?.pairs?.has(pairOf(key.prompt, key.model)) !== false);
    return unknown.length === 0 ? [] : this.store.findByKeys(unknown, tenant);
  }

  async save(answer: NewAnswer): Promise<AnswerRecord> {
    return this.add(await this.store.save(answer));
  }

  async adopt(answer: NewAnswer): Promise<AnswerRecord> {
    return this.add(await this.store.adopt(answer));
  }

  /** Deleted images: their entries go. */
  forgetImages(imageIds: Iterable<string>): void {
    for (const id of imageIds) this.images.delete(id);
  }

  /** An erased tenant: its images' entries go. */
  forgetTenant(tenant: string): void {
    for (const [id, entry] of [...this.images.entries()]) if (entry.tenant === tenant) this.images.delete(id);
  }

  /** The image's entry, its load started if it had none. Created before the SELECT, so a write committed after the SELECT began is added to it. */
  private entryOf(imageId: string, tenant: string): ImagePrompts {
    const existing = this.images.get(imageId);
    if (existing) return existing;
    const entry: ImagePrompts = { tenant, pairs: new Set(), chars: 0, loaded: Promise.resolve() };
    entry.loaded = this.store.promptsOf(imageId).then(
      (rows) => {
        // Dropped while loading: its readers go to the store, and its size is no longer counted.
        if (this.images.peek(imageId) !== entry) return;
        for (const row of rows) this.addTo(entry, pairOf(row.prompt, row.model));
      },
      (error: unknown) => {
        if (this.images.peek(imageId) === entry) this.images.delete(imageId);
        throw error;
      },
    );
    this.images.set(imageId, entry);
    return entry;
  }

  private add(record: AnswerRecord): AnswerRecord {
    const entry = this.images.peek(record.imageId);
    if (entry) this.addTo(entry, pairOf(record.prompt, record.model));
    return record;
  }

  /** Adds a pair to an entry, within the bounds: the least recently asked images go first, and an image over its share is no longer indexed. */
  private addTo(entry: ImagePrompts, pair: string): void {
    if (!entry.pairs || entry.pairs.has(pair)) return;
    entry.pairs.add(pair);
    entry.chars += pair.length;
    this.chars += pair.length;
    if (entry.chars > MOST_CHARS_PER_IMAGE) {
      entry.pairs = null;
      this.chars -= entry.chars;
      entry.chars = 0;
    }
    while (this.chars > MOST_CHARS) this.images.pop();
  }
}
