import type { ItemOutcome, JobItemRecord, JobRecord, JobRunStore, JobStatus, NewJobItem } from '../../../src/modules/jobs/job.repository.js';

const ACTIVE: readonly string[] = ['QUEUED', 'RUNNING'];

/** Jobs and their items in Maps, with the counters and status rules of JobRepository. */
export class MemoryJobs implements JobRunStore {
  readonly jobs = new Map<string, JobRecord>();
  readonly items = new Map<string, JobItemRecord>();

  /** A QUEUED job of these items, in order. */
  add(id: string, tenant: string, items: readonly NewJobItem[]): JobRecord {
    const job: JobRecord = { id, tenant, apiKeyId: null, status: 'QUEUED', total: items.length, done: 0, failed: 0, error: null, createdAt: new Date(), startedAt: null, finishedAt: null };
    this.jobs.set(id, job);
    items.forEach((item, position) => {
      const itemId = `${id}:${position}`;
      this.items.set(itemId, { ...item, id: itemId, jobId: id, position, status: 'PENDING', answerId: null, errorCode: null, error: null, attempts: 0 });
    });
    return job;
  }

  itemsOf(jobId: string): JobItemRecord[] {
    return [...this.items.values()].filter((item) => item.jobId === jobId).sort((a, b) => a.position - b.position);
  }

  async findById(id: string): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    return job ? { ...job } : null;
  }

  async markRunning(id: string): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    if (job?.status === 'QUEUED') Object.assign(job, { status: 'RUNNING', startedAt: new Date() });
    return this.findById(id);
  }

  async pendingItems(jobId: string): Promise<JobItemRecord[]> {
    return this.itemsOf(jobId).filter((item) => item.status === 'PENDING');
  }

  async recordOutcomes(jobId: string, outcomes: readonly ItemOutcome[]): Promise<JobRecord | null> {
    const job = this.jobs.get(jobId);
    if (!job) return null;
    for (const outcome of outcomes) {
      const item = this.items.get(outcome.itemId);
      if (item?.jobId !== jobId || item.status !== 'PENDING') continue;
      if ('answerId' in outcome) {
        Object.assign(item, { status: 'SUCCEEDED', answerId: outcome.answerId, attempts: outcome.attempts });
        job.done++;
      } else {
        Object.assign(item, { status: 'FAILED', errorCode: outcome.errorCode, error: outcome.error, attempts: outcome.attempts });
        job.failed++;
      }
    }
    return this.findById(jobId);
  }

  async finish(id: string, status: Exclude<JobStatus, 'QUEUED' | 'RUNNING'>, error: string | null = null): Promise<JobRecord | null> {
    const job = this.jobs.get(id);
    if (!job || !ACTIVE.includes(job.status)) return null;
    Object.assign(job, { status, error, finishedAt: new Date() });
    if (status === 'CANCELLED') for (const item of this.itemsOf(id)) if (item.status === 'PENDING') item.status = 'CANCELLED';
    return this.findById(id);
  }
}
