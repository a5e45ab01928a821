import PQueue from 'p-queue';
import type { Logger } from '../../platform/logger.js';
import type { JobRepository } from './job.repository.js';
import type { JobRunner } from './job-runner.js';

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

/** A running job's two ways to stop (JobRunner.run): no more work, and abort what is in flight. */
interface Running {
  stop: AbortController;
  abort: AbortController;
}

export class InProcessJobQueue implements JobQueue {
  // p-queue wakes on `add`, so an idle queue costs nothing (no polling).
  private readonly queue: PQueue;
  private readonly running = new Map<string, Running>();
  private stopping = false;

  constructor(
    private readonly jobs: JobRepository,
    private readonly runner: JobRunner,
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
    if (this.stopping || this.running.has(jobId)) return;
    const run: Running = { stop: new AbortController(), abort: new AbortController() };
    this.running.set(jobId, run);
    this.queue
      .add(() => this.runner.run(jobId, run.stop.signal, run.abort.signal))
      .catch((error: unknown) => this.logger.error({ err: error, jobId }, 'job worker crashed'))
      .finally(() => this.running.delete(jobId));
  }

  cancel(jobId: string): void {
    const run = this.running.get(jobId);
    run?.stop.abort('cancelled');
    run?.abort.abort('cancelled');
  }

  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return this.queue.onIdle();
    this.stopping = true;
    this.queue.clear();
    for (const run of this.running.values()) run.stop.abort('shutdown');
    const idle = this.queue.onIdle();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    const late = await Promise.race([idle.then(() => false), graceOver]);
    clearTimeout(timer);
    if (!late) return;
    // Calls still in flight would answer after the database is closed: abort them and wait for the runners to return.
    for (const run of this.running.values()) run.abort.abort('shutdown');
    await idle;
  }
}
