import type { Db } from '../../platform/database/database.js';

/** A tenant as `tenants list` shows it: what it holds. */
export interface TenantSummary {
  tenant: string;
  activeKeys: number;
  images: number;
  /** Captions, answers, vision results and multi-image answers. */
  results: number;
  conversations: number;
  jobs: number;
}

type Counted = Array<{ tenant: string; _count: { _all: number } }>;

const countOf = (rows: Counted, tenant: string) => rows.find((row) => row.tenant === tenant)?._count._all ?? 0;

/**
 * Tenants are not rows of their own: a tenant is any name that keys, images,
 * results, conversations, jobs or usage records carry. This reads them
 * across those tables, for the operator's `tenants` CLI.
 */
export class TenantRepository {
  constructor(private readonly db: Db) {}

  /** Every tenant with rows anywhere (revoked keys and usage records alone included), by name; `only` narrows it to one. */
  async list(only?: string): Promise<TenantSummary[]> {
    const count = { by: 'tenant' as const, _count: { _all: true as const }, where: only === undefined ? {} : { tenant: only } };
    const [activeKeys, keys, images, answers, imagesAnswers, conversations, jobs, calls, tallies] = await Promise.all([
      this.db.apiKey.groupBy({ ...count, where: { ...count.where, revokedAt: null } }),
      this.db.apiKey.groupBy(count),
      this.db.image.groupBy(count),
      this.db.answer.groupBy(count),
      this.db.imagesAnswer.groupBy(count),
      this.db.conversation.groupBy(count),
      this.db.job.groupBy(count),
      this.db.modelCall.groupBy(count),
      this.db.resultTally.groupBy(count),
    ]);
    const names = new Set([keys, images, answers, imagesAnswers, conversations, jobs, calls, tallies].flatMap((rows) => rows.map((row) => row.tenant)));
    return [...names].sort().map((tenant) => ({
      tenant,
      activeKeys: countOf(activeKeys, tenant),
      images: countOf(images, tenant),
      results: countOf(answers, tenant) + countOf(imagesAnswers, tenant),
      conversations: countOf(conversations, tenant),
      jobs: countOf(jobs, tenant),
    }));
  }

  /** The tenant's summary, or null when no row anywhere carries its name. */
  async find(tenant: string): Promise<TenantSummary | null> {
    return (await this.list(tenant))[0] ?? null;
  }
}
