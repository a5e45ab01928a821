import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Platform, Worker } from '../../platform-parts.js';
import type { Access } from '../access/index.js';
import type { Answers } from '../answers/index.js';
import type { Images } from '../images/index.js';
import type { Jobs } from '../jobs/index.js';
import { BlobRelease } from './blob-release.js';
import { InProcessDeletionEffects } from './deletion-effects.js';
import { DeletionRepository } from './deletion.repository.js';
import { DeletionService } from './deletion.service.js';
import { ErasureWatch } from './erasure-watch.js';
import { ReplicaCaches } from './replica-caches.js';
import { RetentionSweep } from './retention-sweep.js';
import { LifecycleResolver } from './lifecycle.resolver.js';

/** Data lifecycle: deleteImage, deleteResults (the retention sweep and the tenants CLI use the same service). */
export const lifecycleModule: GatewayModule<Services> = {
  name: 'lifecycle',
  resolvers: [LifecycleResolver],
};

interface LifecycleNeeds {
  access: Pick<Access, 'services'>;
  images: Pick<Images, 'repository' | 'cache' | 'inFlight'>;
  answers: Pick<Answers, 'services' | 'cache' | 'storedPrompts' | 'answerReplaced'>;
  jobs: Pick<Jobs, 'events'>;
}

/**
 * Deletion, and the memory copies it drops: this process's, and with
 * REDIS_URL every other replica's (replica caches, which also carry answer
 * refreshes); the tenant erasure watch and the retention sweep.
 */
export function provideLifecycle({ db, config, redis, logger, blobs }: Platform, { access, images, answers, jobs }: LifecycleNeeds) {
  const localEffects = new InProcessDeletionEffects(images.cache, answers.cache, jobs.events, access.services.keys, answers.storedPrompts);
  const replicaCaches = redis ? new ReplicaCaches(localEffects, answers.cache, redis, logger) : null;
  // A refresh tells the other replicas to drop their copy.
  if (replicaCaches) answers.answerReplaced.add((key) => replicaCaches.answerReplaced(key));
  const deletionRepository = new DeletionRepository(db);
  const deletion = new DeletionService(
    deletionRepository,
    new BlobRelease(blobs, images.repository, images.inFlight),
    answers.services.results,
    replicaCaches ?? localEffects,
  );
  // `tenants delete` from the CLI (another process), noticed through the database (TENANT_ERASURE_CHECK_MS).
  const erasureWatch = new ErasureWatch(deletionRepository, localEffects, config.retention.erasureCheckMs, logger);
  // RETENTION_DAYS, JOB_RETENTION_DAYS (see retention-sweep.ts).
  const retentionSweep = new RetentionSweep(deletion, config.retention, logger);
  return {
    services: { deletion } satisfies Partial<Services>,
    workers: [...(replicaCaches ? [{ start: () => replicaCaches.listen() }] : []), erasureWatch, retentionSweep] satisfies Worker[],
  };
}
