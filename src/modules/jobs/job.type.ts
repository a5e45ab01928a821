import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { CaptionStyle } from '../answers/caption-style.enum.js';

export const JobStatus = { QUEUED: 'QUEUED', RUNNING: 'RUNNING', SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;
export type JobStatus = keyof typeof JobStatus;
registerEnumType(JobStatus, { name: 'JobStatus' });

export const JobItemStatus = { PENDING: 'PENDING', SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED', CANCELLED: 'CANCELLED' } as const;
export type JobItemStatus = keyof typeof JobItemStatus;
registerEnumType(JobItemStatus, { name: 'JobItemStatus' });

export const JobItemKind = { CAPTION: 'CAPTION', QUESTION: 'QUESTION' } as const;
export type JobItemKind = keyof typeof JobItemKind;
registerEnumType(JobItemKind, { name: 'JobItemKind' });

@ObjectType({ description: 'A background analysis. Follow it with the jobUpdated or jobCompleted subscription.' })
export class Job {
  @Field(() => ID)
  id!: string;

  @Field(() => JobStatus)
  status!: JobStatus;

  @Field(() => Int, { description: 'Items: images × (caption styles + questions).' })
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

  imageId!: string;

  @Field(() => JobItemKind)
  kind!: JobItemKind;

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
}
