import { Prisma, type Image } from '../../generated/prisma/client.js';
import type { Db } from '../../platform/database/database.js';
import type { ImageRecord } from '../images/image.service.js';
import type { Fingerprint } from './fingerprint.js';
import { bandsOf, hashOfBands } from './hash-bands.js';

const FINGERPRINT_COLUMNS = { hashBand0: true, hashBand1: true, hashBand2: true, hashBand3: true, fingerprintGrid: true } as const;

/** The fingerprint columns of an Image row (null until computed). */
type FingerprintColumns = Pick<Image, keyof typeof FINGERPRINT_COLUMNS>;

/** A candidate: its id and fingerprint columns. */
export type FingerprintRow = FingerprintColumns & Pick<Image, 'id'>;

/** A row's fingerprint, or null when it has none yet. */
export function storedFingerprint(row: FingerprintColumns): Fingerprint | null {
  const bands = [row.hashBand0, row.hashBand1, row.hashBand2, row.hashBand3];
  if (row.fingerprintGrid === null || bands.some((band) => band === null)) return null;
  return { hash: hashOfBands(bands as number[]), grid: row.fingerprintGrid };
}

export class FingerprintRepository {
  constructor(private readonly db: Db) {}

  /** The tenant's image with its fingerprint columns; null when unknown (or another tenant's). */
  find(tenant: string, id: string): Promise<Image | null> {
    return this.db.image.findFirst({ where: { id, tenant } });
  }

  /** Stores the fingerprint on every row of these bytes, whichever tenant's: it depends on the bytes alone. */
  async store(sha256: string, fingerprint: Fingerprint): Promise<void> {
    const [hashBand0, hashBand1, hashBand2, hashBand3] = bandsOf(fingerprint.hash);
    await this.db.image.updateMany({ where: { sha256 }, data: { hashBand0, hashBand1, hashBand2, hashBand3, fingerprintGrid: new Uint8Array(fingerprint.grid) } });
  }

  /**
   * The tenant's other images (every tenant's when `tenant` is null: a
   * global cache scope) with any band among the given values
   * (`values[band]`): the candidates, one indexed query, fingerprint columns
   * only. Raw SQL with the band values written into it: Prisma's `in` with
   * hundreds of parameters cost tens of milliseconds to build, this about one;
   * the values are integers this module computed, never input.
   */
  candidates(tenant: string | null, values: readonly (readonly number[])[], exceptId: string): Promise<FingerprintRow[]> {
    const anyBand = values.map((list, band) => `"hashBand${band}" IN (${list.map((value) => Math.trunc(value)).join(',')})`).join(' OR ');
    const inTenant = tenant === null ? Prisma.empty : Prisma.sql`"tenant" = ${tenant} AND `;
    return this.db.$queryRaw<FingerprintRow[]>(
      Prisma.sql`SELECT "id", "hashBand0", "hashBand1", "hashBand2", "hashBand3", "fingerprintGrid" FROM "Image" WHERE ${inTenant}"id" <> ${exceptId} AND (${Prisma.raw(anyBand)})`,
    );
  }

  /** The tenant's rows by id, in the order of `ids` (missing ones left out). */
  async rows(tenant: string, ids: readonly string[]): Promise<ImageRecord[]> {
    if (ids.length === 0) return [];
    const found = new Map((await this.db.image.findMany({ where: { tenant, id: { in: [...ids] } }, omit: FINGERPRINT_COLUMNS })).map((row) => [row.id, row]));
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  /** Up to `take` distinct bytes (sha256) some row of which has no fingerprint yet, in key order after `after`. */
  async unfingerprinted(after: string | null, take: number): Promise<string[]> {
    const rows = await this.db.image.findMany({
      where: { fingerprintGrid: null, ...(after !== null ? { sha256: { gt: after } } : {}) },
      select: { sha256: true },
      distinct: ['sha256'],
      orderBy: { sha256: 'asc' },
      take,
    });
    return rows.map((row) => row.sha256);
  }

  /** How many distinct bytes still have rows without a fingerprint. */
  async countUnfingerprinted(): Promise<number> {
    const rows = await this.db.image.groupBy({ by: ['sha256'], where: { fingerprintGrid: null } });
    return rows.length;
  }
}
