import type { ApiKey } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';

export type ApiKeyRecord = ApiKey;
export type NewApiKey = Omit<ApiKey, 'createdAt' | 'revokedAt'>;

/**
 * Whether requests without a key are served (as the open tenant): `closed`
 * from the first key on, whatever happens to the keys later, until the
 * operator runs `keys open`. Stored with the keys (GatewaySetting), so
 * restarts and replicas agree.
 */
export type AccessMode = 'open' | 'closed';

const ACCESS_MODE = 'access_mode';

export class ApiKeyRepository {
  constructor(private readonly db: Db) {}

  /** The key and the closed mode in one transaction: no key ever exists while the stored mode still says open. */
  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const [record] = await this.db.$transaction([
      this.db.apiKey.create({ data: key }),
      this.db.gatewaySetting.upsert({ where: { name: ACCESS_MODE }, create: { name: ACCESS_MODE, value: 'closed' }, update: { value: 'closed' } }),
    ]);
    return record;
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.db.apiKey.findMany({ orderBy: [{ tenant: 'asc' }, { createdAt: 'asc' }] });
  }

  findById(id: string): Promise<ApiKeyRecord | null> {
    return this.db.apiKey.findUnique({ where: { id } });
  }

  findByHash(hash: string): Promise<ApiKeyRecord | null> {
    return this.db.apiKey.findUnique({ where: { hash } });
  }

  async accessMode(): Promise<AccessMode> {
    const stored = await this.db.gatewaySetting.findUnique({ where: { name: ACCESS_MODE } });
    return stored?.value === 'closed' ? 'closed' : 'open';
  }

  /** `keys open`: serve requests without a key again, when no active key is left (checked in the same transaction). */
  async open(): Promise<{ opened: boolean; activeKeys: number }> {
    return this.db.$transaction(async (tx) => {
      const activeKeys = await tx.apiKey.count({ where: { revokedAt: null } });
      if (activeKeys > 0) return { opened: false, activeKeys };
      await tx.gatewaySetting.upsert({ where: { name: ACCESS_MODE }, create: { name: ACCESS_MODE, value: 'open' }, update: { value: 'open' } });
      return { opened: true, activeKeys };
    });
  }

  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const { count } = await this.db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    return count === 0 ? null : this.db.apiKey.findUnique({ where: { id } });
  }
}
