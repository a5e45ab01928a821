import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiKeyRecord, ApiKeyRepository, NewApiKey } from '../../src/modules/access/api-key.repository.js';
import { ApiKeyService, hashKey } from '../../src/modules/access/api-key.service.js';

/** Keys in memory, counting the reads a request would send to the database. */
class MemoryKeys {
  readonly rows: ApiKeyRecord[] = [];
  reads = 0;

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const record = { ...key, createdAt: new Date(), revokedAt: null };
    this.rows.push(record);
    return record;
  }

  async anyExists(): Promise<boolean> {
    this.reads++;
    return this.rows.length > 0;
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    this.reads++;
    return this.rows.find((row) => row.hash === hash) ?? null;
  }

  /** What the CLI does in another process: a row this service never saw being written. */
  addElsewhere(tenant: string, key: string): void {
    this.rows.push({ id: `elsewhere-${this.rows.length}`, tenant, label: null, hash: hashKey(key), prefix: key.slice(0, 10), requestsPerMinute: null, tokensPerDay: null, admin: false, createdAt: new Date(), revokedAt: null });
  }
}

const service = (keys: MemoryKeys, cacheSeconds: number) =>
  new ApiKeyService(keys as unknown as ApiKeyRepository, { required: false, cacheSeconds, requestsPerMinute: 60, tokensPerDay: 1000 });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('API keys from memory (KEY_CACHE_SECONDS)', () => {
  it('asks whether any key exists once per KEY_CACHE_SECONDS while the gateway is open', async () => {
    const keys = new MemoryKeys();
    const open = service(keys, 5);
    expect(await open.keysRequired()).toBe(false);
    expect(await open.keysRequired()).toBe(false);
    expect(keys.reads).toBe(1);
    vi.advanceTimersByTime(5_000);
    expect(await open.keysRequired()).toBe(false);
    expect(keys.reads).toBe(2);
  });

  it('requires keys once the first one made elsewhere is seen, within KEY_CACHE_SECONDS', async () => {
    const keys = new MemoryKeys();
    const open = service(keys, 5);
    expect((await open.authenticate(undefined)).tenant).toBe('default');
    keys.addElsewhere('acme', 'qvg_made-by-the-cli');
    expect((await open.authenticate(undefined)).tenant).toBe('default');
    vi.advanceTimersByTime(5_000);
    await expect(open.authenticate(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await open.authenticate('Bearer qvg_made-by-the-cli')).tenant).toBe('acme');
  });

  it('requires keys at once when this process makes the first one', async () => {
    const keys = new MemoryKeys();
    const open = service(keys, 5);
    expect(await open.keysRequired()).toBe(false);
    const { key } = await open.create({ tenant: 'acme' });
    expect(await open.keysRequired()).toBe(true);
    expect((await open.authenticate(`Bearer ${key}`)).tenant).toBe('acme');
  });

  it('with KEY_CACHE_SECONDS=0 asks the database on every request', async () => {
    const keys = new MemoryKeys();
    const uncached = service(keys, 0);
    expect(await uncached.keysRequired()).toBe(false);
    keys.addElsewhere('acme', 'qvg_made-by-the-cli');
    expect(await uncached.authenticate('Bearer qvg_made-by-the-cli')).toMatchObject({ tenant: 'acme' });
    await uncached.authenticate('Bearer qvg_made-by-the-cli');
    // anyExists once (then final), findByHash twice: nothing served from memory.
    expect(keys.reads).toBe(4);
  });
});
