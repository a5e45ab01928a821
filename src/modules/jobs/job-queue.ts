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
  /** Stops sending a job's work upstream (the caller has already marked it CANCELLED). */
  cancel(jobId: string): void;
  /** Resumes every unfinished job. */
  start(): Promise<void>;
  /** Takes no new work, lets in-flight upstream calls finish for at most graceMs. */
  stop(graceMs: number): Promise<void>;
}

export class InProcessJobQueue implements JobQueue {
  // p-queue wakes on `add`, so an idle queue costs nothing (no polling).
  private readonly queue: PQueue;
  private readonly running = new Map<string, AbortController>();
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
    const controller = new AbortController();
    this.running.set(jobId, controller);
    this.queue
      .add(() => this.runner.run(jobId, controller.signal))
      .catch((error: unknown) => this.logger.error({ err: error, jobId }, 'job worker crashed'))
      .finally(() => this.running.delete(jobId));
  }

  cancel(jobId: string): void {
    this.running.get(jobId)?.abort('cancelled');
  }

  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return this.queue.onIdle();
    this.stopping = true;
    this.queue.clear();
    for (const controller of this.running.values()) controller.abort('shutdown');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.queue.onIdle(), timeout]);
    clearTimeout(timer);
  }
}
