import { randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/logger.js';
import { RedisChannel } from '../../platform/redis/channel.js';
import type { RedisConnections } from '../../platform/redis/connection.js';
import { InProcessJobEvents, type JobEvents } from './job-events.js';
import type { JobRecord } from './job.repository.js';

/** What crosses the wire: the snapshot and the replica that published it (which delivered it locally already). */
interface Message {
  origin: string;
  job: Omit<JobRecord, 'createdAt' | 'startedAt' | 'finishedAt'> & { createdAt: string; startedAt: string | null; finishedAt: string | null };
}

const date = (value: string | null) => (value === null ? null : new Date(value));

/**
 * Job events shared by every replica (REDIS_URL): one Redis pub/sub channel
 * carries every job's snapshots, and each replica fans them out to its own
 * subscribers. A replica delivers its own events locally at once (they reach
 * its subscribers even while Redis is down) and skips their echo. A
 * subscriber never waits for Redis: it gets the current state and this
 * replica's events at once, outage or not. Whenever the channel's subscription
 * is confirmed (the first time, and after each outage) every job someone here
 * follows is re-read from the database, so a snapshot published by another
 * replica before that is not lost; the streams drop repeated and stale
 * snapshots (job-streams.ts).
 */
export class RedisJobEvents implements JobEvents {
  private readonly origin = randomUUID();
  private readonly local = new InProcessJobEvents();
  private readonly channel: RedisChannel;
  private listening: Promise<void> | undefined;

  constructor(
    connections: RedisConnections,
    private readonly reread: (jobId: string) => Promise<JobRecord | null>,
    private readonly logger: Logger,
  ) {
    this.channel = new RedisChannel(connections, 'jobs:events', (message) => this.receive(message), () => void this.catchUp());
  }

  /** Subscribes this replica to the channel; resolves once Redis confirmed it and the followed jobs were re-read. */
  listen(): Promise<void> {
    this.listening ??= this.channel.listen().then(() => this.catchUp());
    return this.listening;
  }

  publish(job: JobRecord): void {
    this.local.publish(job);
    const message: Message = { origin: this.origin, job: { ...job, createdAt: job.createdAt.toISOString(), startedAt: job.startedAt?.toISOString() ?? null, finishedAt: job.finishedAt?.toISOString() ?? null } };
    this.channel.publish(JSON.stringify(message)).catch((error: unknown) => {
      // Subscribers on other replicas catch up from the database when Redis returns.
      this.logger.warn({ err: error, jobId: job.id, status: job.status }, 'job event not published: redis is unreachable');
    });
  }

  async subscribe(jobId: string, signal: AbortSignal): Promise<AsyncIterable<JobRecord>> {
    const changes = await this.local.subscribe(jobId, signal);
    // Not awaited: while Redis is away the subscription would send nothing, not even the current state.
    this.listen().catch((error: unknown) => this.logger.warn({ err: error }, 'job events channel not subscribed: followers here see only this replica\'s events'));
    return changes;
  }

  private receive(raw: string): void {
    const message = JSON.parse(raw) as Message;
    if (message.origin === this.origin) return;
    const { job } = message;
    this.local.publish({ ...job, createdAt: new Date(job.createdAt), startedAt: date(job.startedAt), finishedAt: date(job.finishedAt) });
  }

  private async catchUp(): Promise<void> {
    for (const jobId of this.local.listenedJobIds()) {
      try {
        const job = await this.reread(jobId);
        if (job) this.local.publish(job);
      } catch (error) {
        this.logger.warn({ err: error, jobId }, 'could not re-read a followed job after a redis outage');
      }
    }
  }
}
