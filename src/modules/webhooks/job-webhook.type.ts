import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';

@ObjectType({ description: "How the job's `job.completed` webhook (AnalysisInput.webhookUrl) is being delivered." })
export class JobWebhook {
  @Field(() => ID, { description: 'The `webhook-id` header: the same on every attempt, so a receiver can drop repeats.' })
  id!: string;

  @Field(() => Int, { description: 'Attempts made so far (one is counted once it starts).' })
  attempts!: number;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status on the last attempt; null before any, or when it gave none (timeout, connection failure)." })
  lastStatus!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed; null once delivered.' })
  lastError!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When a receiver answered 2xx; null until then.' })
  deliveredAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the next attempt is due (while one is in flight: when another process takes over should this one die); null before the job ends, and once delivered or given up (WEBHOOK_RETRY_SCHEDULE used up).' })
  nextAttemptAt!: Date | null;
}
