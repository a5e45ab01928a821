import type { Db } from './database.js';
import { isUniqueViolation } from './prisma-errors.js';

/**
 * Gateway-wide values written once and shared by every process on the
 * database (e.g. the generated URL signing secret), so restarts and replicas
 * agree on them.
 */
export class SettingRepository {
  constructor(private readonly db: Db) {}

  /** Names of the stored values starting with `prefix`. */
  async names(prefix: string): Promise<string[]> {
    const rows = await this.db.gatewaySetting.findMany({ where: { name: { startsWith: prefix } }, select: { name: true } });
    return rows.map((row) => row.name);
  }

  /**
   * The stored value of `name`, or `candidate` stored as it. Safe when
   * processes start at once: the primary key lets one insert win, and every
   * process reads back the winner.
   */
  async getOrInsert(name: string, candidate: string): Promise<string> {
    const stored = await this.db.gatewaySetting.findUnique({ where: { name } });
    if (stored) return stored.value;
    try {
      await this.db.gatewaySetting.create({ data: { name, value: candidate } });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    return (await this.db.gatewaySetting.findUniqueOrThrow({ where: { name } })).value;
  }
}
