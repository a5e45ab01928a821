import PQueue from 'p-queue';
import type { Logger } from '../../platform/logger.js';
import type { JobRepository } from './job.repository.js';
import type { JobRunner } from './job-runner.js';
import { RunningJobs } from './running-jobs.js';

/**
 * Where submitted jobs wait for a worker. The in-process queue is the
 * default; its truth is the database rows, so a restart (or another queue
 * implementation) picks up every QUEUED and RUNNING job.
 */
export interface JobQueue {
  enqueue(jobId: string): void;
  /** Stops a job's work and aborts its upstream calls in flight (the caller has already marked it CANCELLED). */
  cancel(jobId: string): void;
  /** Resumes every unfinished job. */
  start(): Promise<void>;
  /**
   * Takes no new work and lets in-flight upstream calls finish for at most
   * graceMs, then aborts them; resolves once no job writes anything more.
   */
  stop(graceMs: number): Promise<void>;
}

export class InProcessJobQueue implements JobQueue {
  // p-queue wakes on `add`, so an idle queue costs nothing (no polling).
  private readonly queue: PQueue;
  private readonly running = new RunningJobs();
  private stopping = false;

  constructor(
    private readonly jobs: Pick<JobRepository, 'activeIds'>,
    private readonly runner: Pick<JobRunner, 'run'>,
    concurrency: number,
    private readonly logger: Logger,
  ) {
    this.queue = new PQueue({ concurrency });
  }

  async start(): Promise<void> {
    const ids = await this.jobs.activeIds();
    if (ids.length > 0) this.logger.info({ jobs: ids.length }, 'resuming unfinished jobs');
    for (const id of ids) this.enqueue(id);
  }

  enqueue(jobId: string): void {
    if (this.stopping) return;
    const run = this.running.track(jobId);
    if (!run) return;
    this.queue
      .add(() => this.runner.run(jobId, run.stop.signal, run.abort.signal))
      .catch((error: unknown) => this.logger.error({ err: error, jobId }, 'job worker crashed'))
      .finally(() => this.running.release(jobId));
  }

  cancel(jobId: string): void {
    this.running.halt(jobId, 'cancelled');
  }

  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return this.queue.onIdle();
    this.stopping = true;
    this.queue.clear();
    await this.running.drain(this.queue.onIdle(), graceMs);
  }
}
