import type { ApiKey } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';

export type ApiKeyRecord = ApiKey;
export type NewApiKey = Omit<ApiKey, 'createdAt' | 'revokedAt'>;

export class ApiKeyRepository {
  constructor(private readonly db: Db) {}

  create(key: NewApiKey): Promise<ApiKeyRecord> {
    return this.db.apiKey.create({ data: key });
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

  /** True once any key was ever created (revoked ones included): from then on keys are required. */
  async anyExists(): Promise<boolean> {
    return (await this.db.apiKey.findFirst({ select: { id: true } })) !== null;
  }

  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const { count } = await this.db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    return count === 0 ? null : this.db.apiKey.findUnique({ where: { id } });
  }
}
