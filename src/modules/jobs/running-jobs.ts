/** Why a job this process runs was told to stop. */
export type StopReason = 'cancelled' | 'shutdown' | 'lease lost';

/** A running job's two ways to stop (JobRunner.run): no more work, and abort what is in flight. */
export interface Running {
  stop: AbortController;
  abort: AbortController;
}

/**
 * The jobs this process runs (or has accepted to run), each with its stop and
 * abort controllers: what both queues need to cancel one job, and to drain
 * them all at shutdown within the grace period.
 */
export class RunningJobs {
  private readonly running = new Map<string, Running>();

  /** Registers a job; undefined when it is already here (a second run of it must not start). */
  track(jobId: string): Running | undefined {
    if (this.running.has(jobId)) return undefined;
    const run: Running = { stop: new AbortController(), abort: new AbortController() };
    this.running.set(jobId, run);
    return run;
  }

  release(jobId: string): void {
    this.running.delete(jobId);
  }

  /** Stops a job and aborts its upstream calls in flight; false when it does not run here. */
  halt(jobId: string, reason: StopReason): boolean {
    const run = this.running.get(jobId);
    run?.stop.abort(reason);
    run?.abort.abort(reason);
    return run !== undefined;
  }

  /**
   * Shutdown: no job starts more work; calls in flight get graceMs to finish
   * and be recorded, then are aborted. Resolves when `idle` does (the queue's
   * own "every runner returned").
   */
  async drain(idle: Promise<unknown>, graceMs: number): Promise<void> {
    for (const run of this.running.values()) run.stop.abort('shutdown');
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
