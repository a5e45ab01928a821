/**
 * The job and job-item statuses, defined once: the repository writes them,
 * job.type.ts registers them as the GraphQL enums JobStatus and
 * JobItemStatus, the streams and the /metrics gauge read them.
 *
 * The columns stay Strings rather than Prisma enums: on PostgreSQL an enum
 * column needs a migration that creates the types and converts every stored
 * row (ALTER COLUMN ... USING), and on SQLite Prisma keeps them as TEXT anyway,
 * so the database would check nothing the code does not already check here.
 */
export const JobStatus = { QUEUED: 'QUEUED', RUNNING: 'RUNNING', SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;
export type JobStatus = keyof typeof JobStatus;

export const JobItemStatus = { PENDING: 'PENDING', SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;
export type JobItemStatus = keyof typeof JobItemStatus;

/** Every status, in the order the GraphQL enum lists them. */
export const JOB_STATUSES = Object.values(JobStatus);

/** A job still to run or running: it counts against the tenant's active jobs. */
export const ACTIVE_STATUSES: JobStatus[] = [JobStatus.QUEUED, JobStatus.RUNNING];

/** A job that will not change again. */
export const FINAL_STATUSES = [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED] as const;
export type FinalStatus = (typeof FINAL_STATUSES)[number];
