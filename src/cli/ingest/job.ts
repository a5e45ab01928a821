import type { CaptionStyle } from './options.js';
import { dataOrThrow, type GatewayClient } from './gateway-client.js';
import type { Progress } from './progress.js';

export type JobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface JobState {
  id: string;
  status: JobStatus;
  total: number;
  done: number;
  failed: number;
  error: string | null;
}

export interface JobItem {
  kind: 'CAPTION' | 'QUESTION' | 'MODERATION';
  style: CaptionStyle | null;
  prompt: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  errorCode: string | null;
  error: string | null;
  image: { id: string };
  caption: { text: string; model: string } | null;
  question: { answer: string; model: string } | null;
}

/** A job's moderation verdict on one image (Job.moderations). */
export interface Verdict {
  image: { id: string };
  flagged: boolean;
  categories: string[];
  rationale: string;
  model: string;
}

const JOB_FIELDS = 'id status total done failed error';

const SUBMIT = `mutation IngestSubmit($input: AnalysisInput!) { submitAnalysis(input: $input) { ${JOB_FIELDS} } }`;
const CANCEL = `mutation IngestCancel($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`;
const STATE = `query IngestJobState($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`;
const UPDATES = `subscription IngestJobUpdated($id: ID!) { jobUpdated(id: $id) { ${JOB_FIELDS} } }`;
const ITEMS = `query IngestJobItems($id: ID!) {
  job(id: $id) {
    ${JOB_FIELDS}
    items { kind style prompt status errorCode error image { id } caption { text model } question { answer model } }
    moderations { image { id } flagged categories rationale model }
  }
}`;

export const isFinal = (job: Pick<JobState, 'status'>) => job.status === 'SUCCEEDED' || job.status === 'FAILED' || job.status === 'CANCELLED';

export interface JobWork {
  captionStyles: readonly CaptionStyle[];
  questions: readonly string[];
  moderate: boolean;
}

export async function submitJob(client: GatewayClient, imageIds: readonly string[], work: JobWork): Promise<JobState> {
  const data = await client.call<{ submitAnalysis: JobState }>(SUBMIT, { input: { imageIds, ...work } });
  return data.submitAnalysis;
}

export async function cancelJob(client: GatewayClient, id: string): Promise<JobState> {
  return (await client.call<{ cancelJob: JobState }>(CANCEL, { id })).cancelJob;
}

export async function jobItems(client: GatewayClient, id: string): Promise<{ job: JobState; items: JobItem[]; verdicts: Verdict[] }> {
  const data = await client.call<{ job: (JobState & { items: JobItem[]; moderations: Verdict[] }) | null }>(ITEMS, { id });
  if (!data.job) throw new Error(`job ${id} was not found`);
  const { items, moderations, ...job } = data.job;
  return { job, items, verdicts: moderations };
}

export interface FollowOptions {
  progress?: Progress;
  /** Resolves when the user interrupts; the job is then cancelled and followed to its end. */
  interrupted?: Promise<void>;
  /** How often to poll when the WebSocket is unavailable. */
  pollMs?: number;
  /** Consecutive failed polls before giving up (the results are then read once more). */
  maxPollFailures?: number;
  /** After a cancel, how long to wait for the final state before reading what is there. */
  cancelGraceMs?: number;
}

export interface FollowResult {
  job: JobState;
  cancelledByUser: boolean;
}

/**
 * Follows the job over the jobUpdated subscription until it ends. When the
 * WebSocket cannot be used, polls job(id) instead. On interrupt, calls cancelJob
 * and waits (briefly) for the final state.
 */
export async function followJob(client: GatewayClient, initial: JobState, options: FollowOptions = {}): Promise<FollowResult> {
  let latest = initial;
  let cancelledByUser = false;
  const show = (job: JobState) => {
    // Snapshots can arrive out of order across the subscription, polls and the cancel answer.
    if (!isFinal(job) && job.done + job.failed < latest.done + latest.failed) return;
    if (isFinal(latest) && !isFinal(job)) return;
    latest = job;
    options.progress?.update({ value: job.done + job.failed, total: job.total, failed: job.failed });
  };
  show(initial);

  let finish!: () => void;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  let stopPolling = false;

  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    let failures = 0;
    while (!stopPolling && !isFinal(latest)) {
      try {
        const data = dataOrThrow(await client.request<{ job: JobState | null }>(STATE, { id: initial.id }));
        if (!data.job) throw new Error(`job ${initial.id} was not found`);
        show(data.job);
        failures = 0;
      } catch (error) {
        failures++;
        options.progress?.log(`warning: cannot read the job's state: ${error instanceof Error ? error.message : String(error)}`);
        if (failures >= (options.maxPollFailures ?? 30)) {
          options.progress?.log('warning: giving up following the job');
          break;
        }
      }
      if (isFinal(latest)) break;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
    finish();
  };

  const ws = client.webSocket();
  const unsubscribe = ws.subscribe<{ jobUpdated: JobState }>(
    { query: UPDATES, variables: { id: initial.id } },
    {
      next: (event) => {
        if (event.data?.jobUpdated) show(event.data.jobUpdated);
      },
      error: (error) => {
        options.progress?.log(`warning: the job subscription failed (${describeWsError(error)}); polling instead`);
        void poll();
      },
      complete: () => {
        if (isFinal(latest)) finish();
        else void poll(); // completed early (e.g. the server went away and came back): make sure of the end
      },
    },
  );

  void options.interrupted?.then(async () => {
    if (isFinal(latest)) return;
    cancelledByUser = true;
    options.progress?.log(`interrupted: cancelling job ${initial.id}...`);
    try {
      show(await cancelJob(client, initial.id));
    } catch (error) {
      options.progress?.log(`warning: cancelJob failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Normally the subscription delivers the final state and completes at once; do not hang if it does not.
    setTimeout(finish, options.cancelGraceMs ?? 5000).unref();
    if (isFinal(latest)) finish();
  });

  try {
    await ended;
  } finally {
    stopPolling = true;
    unsubscribe();
    await ws.dispose();
  }
  return { job: latest, cancelledByUser };
}

function describeWsError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join('; ');
  const close = error as { code?: number; reason?: string; message?: string };
  if (typeof close?.code === 'number') return `WebSocket closed with ${close.code}${close.reason ? ` ${close.reason}` : ''}`;
  return close?.message ?? String(error);
}
