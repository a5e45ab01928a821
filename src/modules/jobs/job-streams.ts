import { closeEarly } from '../../platform/close-early.js';
import { notFound } from '../../platform/errors.js';
import type { JobRecord } from './job.repository.js';
import type { JobEvents } from './job-events.js';
import { FINAL_STATUSES, JobStatus } from './job-status.js';

const FINAL = new Set<string>(FINAL_STATUSES);
export const isFinal = (job: Pick<JobRecord, 'status'>) => FINAL.has(job.status);

/** Orders snapshots: events can arrive late or twice, and a stale one must never be sent after a newer one. */
function progressOf(job: JobRecord): number {
  const stage = isFinal(job) ? 2 : job.status === JobStatus.RUNNING ? 1 : 0;
  return stage * 1e12 + job.done + job.failed;
}

/**
 * A job's snapshots for a subscriber: listening starts before the current
 * state is read, so a change (or the end) between the two is never lost.
 * Unknown ids fail before the stream is returned.
 */
/** Reads a job's current state as the subscriber may see it (null: unknown to them). */
export type ReadJob = (jobId: string) => Promise<JobRecord | null>;

export async function jobSnapshots(events: JobEvents, readJob: ReadJob, jobId: string): Promise<AsyncGenerator<JobRecord>> {
  const stop = new AbortController();
  const changes = await events.subscribe(jobId, stop.signal);
  const current = await readJob(jobId);
  if (!current) {
    stop.abort();
    throw notFound('job', jobId);
  }
  const stream = (async function* () {
    try {
      let last = current;
      yield last;
      if (isFinal(last)) return;
      for await (const job of changes) {
        if (progressOf(job) <= progressOf(last)) continue;
        last = job;
        yield job;
        if (isFinal(job)) return;
      }
    } finally {
      stop.abort();
    }
  })();
  return closeEarly(stream, () => stop.abort());
}

/** jobUpdated: every change of status or progress, the final state, then the end. */
export const jobUpdates = jobSnapshots;

/** jobCompleted: exactly one event, the final state (at once if the job already ended). */
export async function jobCompletion(events: JobEvents, readJob: ReadJob, jobId: string): Promise<AsyncGenerator<JobRecord>> {
  const snapshots = await jobSnapshots(events, readJob, jobId);
  return (async function* () {
    try {
      for await (const job of snapshots) {
        if (isFinal(job)) {
          yield job;
          return;
        }
      }
    } finally {
      await snapshots.return(undefined);
    }
  })();
}
