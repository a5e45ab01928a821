import type { Services } from '../../app-types.js';
import type { GatewayModule } from '../../platform/gateway.js';
import type { Platform, Worker } from '../../platform-parts.js';
import type { Access } from '../access/index.js';
import type { Answers } from '../answers/index.js';
import type { Images } from '../images/index.js';
import type { Vision } from '../vision/index.js';
import type { Webhooks } from '../webhooks/index.js';
import { BullMqJobQueue } from './bullmq-job-queue.js';
import { InProcessJobEvents } from './job-events.js';
import { InProcessJobQueue, type JobQueue } from './job-queue.js';
import { JobRepository } from './job.repository.js';
import { JobRunner } from './job-runner.js';
import { JobService } from './job.service.js';
import { RedisJobEvents } from './redis-job-events.js';
import { JobItemResolver, JobResolver } from './job.resolver.js';

/** Jobs: batch analysis run in the background, followed over subscriptions. */
export const jobsModule: GatewayModule<Services> = {
  name: 'jobs',
  resolvers: [JobResolver, JobItemResolver],
};

interface JobsNeeds {
  access: Pick<Access, 'services'>;
  images: Pick<Images, 'repository' | 'cache' | 'uploadsStored'>;
  answers: Pick<Answers, 'services'>;
  vision: Pick<Vision, 'services'>;
  webhooks: Pick<Webhooks, 'services' | 'announceJobEnds'>;
}

/** Batch analysis: the job service, its queue (BullMQ with REDIS_URL) and runner, the job events; MODERATE_UPLOADS moderates new uploads. */
export function provideJobs({ db, config, redis, logger }: Platform, { access, images, answers, vision, webhooks }: JobsNeeds) {
  const jobRepository = new JobRepository(db);
  // A job's end also schedules its webhook.
  const events = webhooks.announceJobEnds(redis ? new RedisJobEvents(redis, (jobId) => jobRepository.findById(jobId), logger) : new InProcessJobEvents());
  const runner = new JobRunner({
    jobs: jobRepository,
    images: images.cache,
    answers: answers.services.answers,
    vision: vision.services.vision,
    events,
    options: {
      imageConcurrency: config.model.maxConcurrency,
      itemRetries: config.jobs.itemRetries,
      retryDelayMs: config.jobs.retryDelayMs,
      budgetFor: (job) => access.services.payer.ofJob(job),
    },
    logger,
  });
  const queue: JobQueue = redis
    ? new BullMqJobQueue({ jobs: jobRepository, runner, connections: redis, options: { concurrency: config.jobs.concurrency, leaseMs: config.jobs.leaseMs }, logger })
    : new InProcessJobQueue(jobRepository, runner, config.jobs.concurrency, logger);
  const jobs = new JobService({
    jobs: jobRepository,
    images: images.repository,
    queue,
    events,
    limits: {
      maxItems: config.jobs.maxItems,
      questionLength: config.limits.questionLength,
      maxActivePerTenant: config.jobs.maxActivePerTenant,
      maxQueuedItemsPerTenant: config.jobs.maxQueuedItemsPerTenant,
    },
    vision: vision.services.vision,
    webhooks: webhooks.services.webhooks,
  });
  // MODERATE_UPLOADS: new images are moderated by a background job; the upload never waits for it, nor fails with it.
  if (config.jobs.moderateUploads) {
    images.uploadsStored.add((uploader, created) => {
      jobs.moderateUploads(uploader, created).catch((error: unknown) => logger.warn({ err: error, tenant: uploader.tenant, images: created.length }, 'moderation of new uploads could not be queued'));
    });
  }
  return {
    events,
    services: { jobs } satisfies Partial<Services>,
    // Unfinished jobs resume at start; in-flight upstream calls get SHUTDOWN_GRACE_MS at stop.
    workers: [{ start: () => queue.start(), stop: () => queue.stop(config.shutdownGraceMs) }] satisfies Worker[],
  };
}

export type Jobs = ReturnType<typeof provideJobs>;
