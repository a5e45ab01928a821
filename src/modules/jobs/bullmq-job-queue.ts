import { Queue, WaitingError, Worker, type Job as QueuedJob } from 'bullmq';
import type { Logger } from '../../platform/logger.js';
import { RedisChannel } from '../../platform/redis/channel.js';
import type { RedisConnections } from '../../platform/redis/connection.js';
import type { JobQueue } from './job-queue.js';
import type { JobRepository } from './job.repository.js';
import type { JobRunner } from './job-runner.js';
import { RunningJobs } from './running-jobs.js';
import { isFinal } from './job-streams.js';

/**
 * The BullMQ queue for analysis jobs (submitted ones and upload moderation): today's one kind of leased
 * background work. Another kind gets its own queue name, so one kind's backlog never delays the other.
 */
const ANALYSIS_QUEUE = 'analysis-jobs';

export interface BullMqJobQueueOptions {
  /** Jobs run at once by this replica (JOB_CONCURRENCY). */
  concurrency: number;
  /** JOB_LEASE_MS: BullMQ's lock duration and stalled-check interval. */
  leaseMs: number;
}

/** What BullMqJobQueue is made of. */
export interface BullMqJobQueueParts {
  /** The unfinished jobs re-added at start and every lease, and a job's state before it runs. */
  jobs: Pick<JobRepository, 'activeIds' | 'findById'>;
  runner: Pick<JobRunner, 'run'>;
  connections: RedisConnections;
  options: BullMqJobQueueOptions;
  logger: Logger;
}

/**
 * Jobs across replicas (REDIS_URL), on BullMQ. The database stays the truth
 * of every job and item; BullMQ holds one entry per unfinished job, keyed by
 * the job's id, and a lease on it:
 * - a job runs on one replica at a time: the one holding its BullMQ lock,
 *   renewed every half lease; a replica that loses the lock (Redis away
 *   longer than the lease) stops the job at once rather than race the next owner;
 * - a replica killed mid-job stops renewing: another one's stalled check moves
 *   the job back to waiting within about two leases and it resumes there with
 *   its pending items only (answers stored before the kill are not asked again);
 * - every replica re-adds the unfinished jobs of the database when it starts
 *   and every lease after: BullMQ ignores an id it already holds, so jobs
 *   another live replica runs are left alone, and a job whose entry was lost
 *   (Redis flushed, or down when it was submitted) is queued again;
 * - cancel is published on a Redis channel: the replica running the job
 *   stops it and aborts its upstream calls as soon as the message arrives;
 * - SIGTERM: in-flight calls get the grace period, then the job goes back to
 *   waiting for another replica instead of waiting for this one's lease to end.
 * Item retries with backoff stay JobRunner's, as in one process.
 */
export class BullMqJobQueue implements JobQueue {
  private readonly jobs: Pick<JobRepository, 'activeIds' | 'findById'>;
  private readonly runner: Pick<JobRunner, 'run'>;
  private readonly connections: RedisConnections;
  private readonly options: BullMqJobQueueOptions;
  private readonly logger: Logger;
  private readonly queue: Queue;
  private worker: Worker | undefined;
  private readonly running = new RunningJobs();
  private readonly cancels: RedisChannel;
  private requeueTimer: NodeJS.Timeout | undefined;
  private stopped: Promise<void> | undefined;

  constructor(parts: BullMqJobQueueParts) {
    ({ jobs: this.jobs, runner: this.runner, connections: this.connections, options: this.options, logger: this.logger } = parts);
    this.queue = new Queue(ANALYSIS_QUEUE, { connection: this.connections.open('job queue', 'worker'), prefix: this.connections.key('bull') });
    this.queue.on('error', (error) => this.onError(error));
    this.cancels = new RedisChannel(this.connections, 'jobs:cancel', (jobId) => {
      if (this.running.halt(jobId, 'cancelled')) this.logger.info({ jobId }, 'job cancelled by another replica: stopped here');
    });
  }

  async start(): Promise<void> {
    await this.cancels.listen();
    await this.requeueUnfinished();
    const worker = new Worker(ANALYSIS_QUEUE, (job, token) => this.process(job, token), {
      connection: this.connections.open('job worker', 'worker'),
      prefix: this.connections.key('bull'),
      concurrency: this.options.concurrency,
      lockDuration: this.options.leaseMs,
      stalledInterval: this.options.leaseMs,
      // A job interrupted by many deploys is still resumed: its progress is in the database, not in BullMQ.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    worker.on('error', (error) => this.onError(error));
    worker.on('stalled', (jobId) => this.logger.warn({ jobId }, 'stalled job queued again: the replica that ran it stopped renewing its lease'));
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) {
        if (this.running.halt(jobId, 'lease lost')) this.logger.error({ jobId }, 'job lease lost (redis unreachable too long): stopped here; another replica resumes it');
      }
    });
    this.worker = worker;
    this.requeueTimer = setInterval(() => void this.requeueUnfinished(), this.options.leaseMs);
    this.requeueTimer.unref();
  }

  enqueue(jobId: string): void {
    if (this.stopped) return;
    this.queue.add(ANALYSIS_QUEUE, {}, { jobId, removeOnComplete: true, removeOnFail: true }).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId }, 'job saved but not queued (redis unreachable): it is queued once redis is back');
    });
  }

  cancel(jobId: string): void {
    this.running.halt(jobId, 'cancelled');
    this.cancels.publish(jobId).catch((error: unknown) => {
      // The job is CANCELLED in the database (nothing more of it is recorded), but a replica running it does not know.
      this.logger.warn({ err: error, jobId }, 'cancel not broadcast (redis unreachable): a replica running the job elsewhere may keep asking upstream for it');
    });
  }

  stop(graceMs: number): Promise<void> {
    this.stopped ??= this.shutDown(graceMs);
    return this.stopped;
  }

  private async shutDown(graceMs: number): Promise<void> {
    clearInterval(this.requeueTimer);
    if (this.worker) {
      // close() takes no new job and resolves once every processor returned.
      await this.running.drain(this.worker.close(), graceMs);
    }
    await this.queue.close();
  }

  /** One BullMQ job: the whole analysis job, run while this replica holds its lock. */
  private async process(queued: QueuedJob, token: string | undefined): Promise<void> {
    const jobId = queued.id!;
    const run = this.running.track(jobId);
    if (!run) return; // already running here (cannot happen while BullMQ's lock holds; never run twice)
    this.logger.info({ jobId }, 'job running on this replica');
    try {
      await this.runner.run(jobId, run.stop.signal, run.abort.signal);
    } finally {
      this.running.release(jobId);
    }
    if (run.stop.signal.reason !== 'shutdown') return;
    const job = await this.jobs.findById(jobId);
    if (!job || isFinal(job)) return;
    // Hand the job back now: another replica resumes it without waiting for this lease to run out.
    await queued.moveToWait(token);
    throw new WaitingError();
  }

  /** Queues every unfinished job of the database; ids BullMQ already holds (waiting or running anywhere) are left as they are. */
  private async requeueUnfinished(): Promise<void> {
    try {
      const ids = await this.jobs.activeIds();
      if (ids.length === 0) return;
      await this.queue.addBulk(ids.map((jobId) => ({ name: ANALYSIS_QUEUE, data: {}, opts: { jobId, removeOnComplete: true, removeOnFail: true } })));
    } catch (error) {
      if (!this.connections.unreachable) this.logger.warn({ err: error }, 'could not re-queue unfinished jobs; retrying');
    }
  }

  private onError(error: Error): void {
    // While Redis is away every command fails: connection.ts reports the outage once.
    if (!this.connections.unreachable) this.logger.warn({ err: error }, 'job queue error');
  }
}
