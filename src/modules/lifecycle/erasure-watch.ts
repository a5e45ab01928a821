import type { Logger } from '../../platform/logger.js';
import type { DeletionEffects } from './deletion-effects.js';
import type { DeletionRepository } from './deletion.repository.js';

/**
 * `tenants delete` runs in a process of its own, so a running gateway learns
 * of it from the database: every TENANT_ERASURE_CHECK_MS it reads the
 * erasures recorded since the last it saw (one indexed query, usually
 * empty) and drops each erased tenant from its memory caches. This holds
 * with or without Redis (where the CLI also announces the erasure at once,
 * replica-caches.ts) and whatever a replica missed while disconnected.
 */
export class ErasureWatch {
  private seen = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly erasures: Pick<DeletionRepository, 'erasuresAfter' | 'lastErasureId'>,
    private readonly local: Pick<DeletionEffects, 'tenantErased'>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Erasures before now are nothing to this process (its memory holds nothing yet); later ones are checked for on a timer. */
  async start(): Promise<void> {
    this.seen = await this.erasures.lastErasureId();
    this.timer = setInterval(() => void this.check(), this.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** Applies the erasures recorded since the last check (one check at a time); a database error is logged and retried next time. */
  check(): Promise<void> {
    this.checking ??= this.applyNew().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async applyNew(): Promise<void> {
    try {
      for (const erasure of await this.erasures.erasuresAfter(this.seen)) {
        this.local.tenantErased(erasure.tenant);
        this.seen = erasure.id;
        this.logger.info({ tenant: erasure.tenant }, 'tenant erased by another process: dropped from memory');
      }
    } catch (error) {
      this.logger.warn({ err: { message: (error as Error).message } }, 'could not check for erased tenants; trying again later');
    }
  }
}
