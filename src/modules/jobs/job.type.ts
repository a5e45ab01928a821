import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import type { AnswerKind } from '../answers/answer-kind.js';
import { ANSWER_KINDS } from '../vision/kinds/index.js';
import { CaptionStyle } from '../answers/caption-style.enum.js';
import { JobItemStatus, JobStatus } from './job-status.js';

registerEnumType(JobStatus, { name: 'JobStatus' });
registerEnumType(JobItemStatus, { name: 'JobItemStatus' });

/** An item's kind is its answer's kind: every kind, in the registry's order. */
const JobItemKind = Object.fromEntries(ANSWER_KINDS.map((kind) => [kind, kind]));
registerEnumType(JobItemKind, { name: 'JobItemKind' });

@ObjectType({ description: 'A background analysis. Follow it with the jobUpdated or jobCompleted subscription.' })
export class Job {
  @Field(() => ID)
  id!: string;

  @Field(() => JobStatus)
  status!: JobStatus;

  @Field(() => Int, { description: 'Items: images × (caption styles + questions + 1 when moderating).' })
  total!: number;

  @Field(() => Int, { description: 'Items answered successfully.' })
  done!: number;

  @Field(() => Int, { description: 'Items that failed (see items for why). The job is over when done + failed = total, or when cancelled.' })
  failed!: number;

  @Field(() => String, { nullable: true, description: 'Why the whole job failed.' })
  error!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  finishedAt!: Date | null;
}

@ObjectType({ description: 'One prompt about one image within a job.' })
export class JobItem {
  @Field(() => ID)
  id!: string;

  /** Null once the image was deleted. */
  imageId!: string | null;

  @Field(() => JobItemKind)
  kind!: AnswerKind;

  @Field(() => CaptionStyle, { nullable: true })
  style!: CaptionStyle | null;

  @Field(() => String, { description: 'The normalized prompt sent upstream (the question, or the caption instruction).' })
  prompt!: string;

  @Field(() => JobItemStatus)
  status!: JobItemStatus;

  @Field(() => String, { nullable: true, description: 'The error code when the item failed, e.g. MODEL_REJECTED.' })
  errorCode!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@InputType()
export class AnalysisInput {
  @Field(() => [ID])
  imageIds!: string[];

  @Field(() => [CaptionStyle], { nullable: true })
  captionStyles?: CaptionStyle[] | null;

  @Field(() => [String], { nullable: true })
  questions?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'true: a moderation verdict per image as well (Job.moderations).' })
  moderate?: boolean | null;

  @Field(() => String, {
    nullable: true,
    description: 'http(s) URL that gets a signed job.completed event (Standard Webhooks) when the job ends, retried until it answers 2xx; see Job.webhook. Needs WEBHOOK_SECRET.',
  })
  webhookUrl?: string | null;
}
