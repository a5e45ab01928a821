import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessMode, ApiKeyRecord, ApiKeyRepository, NewApiKey } from '../../src/modules/access/api-key.repository.js';
import { ApiKeyService, hashKey } from '../../src/modules/access/api-key.service.js';

/** Keys and the stored access mode in memory, counting the reads a request would send to the database. */
class MemoryKeys {
  readonly rows: ApiKeyRecord[] = [];
  mode: AccessMode = 'open';
  reads = 0;

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const record = { ...key, createdAt: new Date(), revokedAt: null };
    this.rows.push(record);
    this.mode = 'closed';
    return record;
  }

  async accessMode(): Promise<AccessMode> {
    this.reads++;
    return this.mode;
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    this.reads++;
    return this.rows.find((row) => row.hash === hash) ?? null;
  }

  /** What the CLI does in another process: a row (and the closed mode) this service never saw being written. */
  addElsewhere(tenant: string, key: string): void {
    this.rows.push({ id: `elsewhere-${this.rows.length}`, tenant, label: null, hash: hashKey(key), prefix: key.slice(0, 10), requestsPerMinute: 5, tokensPerDay: 2000, admin: false, createdAt: new Date(), revokedAt: null });
    this.mode = 'closed';
  }
}

const service = (keys: MemoryKeys, cacheSeconds: number, required?: boolean) =>
  new ApiKeyService(keys as unknown as ApiKeyRepository, { required, cacheSeconds, requestsPerMinute: 60, tokensPerDay: 1000 });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('API keys from memory (KEY_CACHE_SECONDS)', () => {
  it('asks for the access mode once per KEY_CACHE_SECONDS', async () => {
    const keys = new MemoryKeys();
    const open = service(keys, 5);
    expect(await open.keysRequired()).toBe(false);
    expect(await open.keysRequired()).toBe(false);
    expect(keys.reads).toBe(1);
    vi.advanceTimersByTime(5_000);
    expect(await open.keysRequired()).toBe(false);
    expect(keys.reads).toBe(2);
  });

  it('refuses requests without a key once the first one made elsewhere is seen, within KEY_CACHE_SECONDS', async () => {
    const keys = new MemoryKeys();
    const open = service(keys, 5);
    expect((await open.authenticate(undefined)).tenant).toBe('default');
    keys.addElsewhere('acme', 'qvg_made-by-the-cli');
    expect((await open.authenticate(undefined)).tenant).toBe('default');
    vi.advanceTimersByTime(5_000);
    await expect(open.authenticate(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a presented key is its own tenant with its own limits at once, though the open mode is still trusted from memory', async () => {
    const keys = new MemoryKeys();
    const open = service(keys, 5);
    expect((await open.authenticate(undefined)).tenant).toBe('default');
    keys.addElsewhere('acme', 'qvg_made-by-the-cli');
    expect(await open.authenticate('Bearer qvg_made-by-the-cli')).toMatchObject({ tenant: 'acme', apiKeyId: 'elsewhere-0', requestsPerMinute: 5, tokensPerDay: 2000 });
    for (const refused of ['Bearer qvg_unknown', 'Basic YTpi', 'qvg_made-by-the-cli', 'Bearer ']) {
      await expect(open.authenticate(refused)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('AUTH_REQUIRED=false serves requests without a key though keys exist; a presented key is still checked', async () => {
    const keys = new MemoryKeys();
    keys.addElsewhere('acme', 'qvg_made-by-the-cli');
    const forcedOpen = service(keys, 5, false);
    expect((await forcedOpen.authenticate(undefined)).tenant).toBe('default');
    expect((await forcedOpen.authenticate('Bearer qvg_made-by-the-cli')).tenant).toBe('acme');
    await expect(forcedOpen.authenticate('Bearer qvg_unknown')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('requires keys at once when this process makes the first one', async () => {
    const keys = new MemoryKeys();
    const open = service(keys, 5);
    expect(await open.keysRequired()).toBe(false);
    const { key } = await open.create({ tenant: 'acme' });
    expect(await open.keysRequired()).toBe(true);
    expect((await open.authenticate(`Bearer ${key}`)).tenant).toBe('acme');
  });

  it('forgets an erased tenant’s keys: the next lookup asks the database', async () => {
    const keys = new MemoryKeys();
    const closed = service(keys, 3600);
    keys.addElsewhere('acme', 'qvg_acme');
    keys.addElsewhere('other', 'qvg_other');
    await closed.authenticate('Bearer qvg_acme');
    await closed.authenticate('Bearer qvg_other');
    keys.rows.length = 0;
    expect((await closed.authenticate('Bearer qvg_acme')).tenant).toBe('acme');
    closed.forgetTenant('acme');
    await expect(closed.authenticate('Bearer qvg_acme')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await closed.authenticate('Bearer qvg_other')).tenant).toBe('other');
  });

  it('with KEY_CACHE_SECONDS=0 asks the database on every request', async () => {
    const keys = new MemoryKeys();
    const uncached = service(keys, 0);
    expect(await uncached.keysRequired()).toBe(false);
    keys.addElsewhere('acme', 'qvg_made-by-the-cli');
    expect(await uncached.authenticate('Bearer qvg_made-by-the-cli')).toMatchObject({ tenant: 'acme' });
    await uncached.authenticate('Bearer qvg_made-by-the-cli');
    expect(await uncached.keysRequired()).toBe(true);
    // The mode twice, the key twice: nothing served from memory.
    expect(keys.reads).toBe(4);
  });
});
