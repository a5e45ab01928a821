import type { JobEvents } from '../jobs/job-events.js';
import { isFinal } from '../jobs/job-streams.js';
import type { WebhookSchedule } from './webhook-schedule.js';

/**
 * The job events, also telling the webhook schedule when a job ends, so its
 * webhook goes out at once rather than at the next poll. Only a hint: the
 * database says what is due, so a job ended by a process that died before
 * this ran still gets its webhook (from the poll), and a final state published
 * again (a deletion changing its counts) makes nothing twice (the attempt is
 * claimed in the database).
 */
export function announceJobEnds(events: JobEvents, schedule: Pick<WebhookSchedule, 'jobEnded'>): JobEvents {
  return {
    publish(job) {
      events.publish(job);
      if (isFinal(job)) schedule.jobEnded(job.id);
    },
    subscribe: (jobId, signal) => events.subscribe(jobId, signal),
  };
}
