import { EventEmitter, on } from 'node:events';
import type { JobRecord } from './job.repository.js';

/**
 * Job state changes, per job id. The in-process implementation is the
 * default; a Redis-backed one can implement the same interface for several
 * gateway processes without touching resolvers or services.
 */
export interface JobEvents {
  publish(job: JobRecord): void;
  /**
   * Resolves once listening (the caller reads the job's current state after
   * it, so no change can slip between the two). It must not wait on anything
   * but this process: a change that a shared transport delivers late is the
   * implementation's to recover (RedisJobEvents re-reads). Stop by aborting `signal`.
   */
  subscribe(jobId: string, signal: AbortSignal): Promise<AsyncIterable<JobRecord>>;
}

export class InProcessJobEvents implements JobEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0); // one listener per open subscription
  }

  publish(job: JobRecord): void {
    this.emitter.emit(job.id, job);
  }

  /** The jobs someone here listens to. */
  listenedJobIds(): string[] {
    return this.emitter.eventNames().filter((name) => typeof name === 'string');
  }

  subscribe(jobId: string, signal: AbortSignal): Promise<AsyncIterable<JobRecord>> {
    // events.on registers the listener now (not at the first read) and buffers events until read.
    const events = on(this.emitter, jobId, { signal });
    return Promise.resolve({
      async *[Symbol.asyncIterator]() {
        try {
          for await (const [job] of events) yield job as JobRecord;
        } catch (error) {
          if (!signal.aborted) throw error; // an abort is the normal end
        }
      },
    });
  }
}
