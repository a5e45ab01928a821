import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { JobService } from './job.service.js';
import type { JobRecord } from './job.service.js';
import type { Context } from '../../context.js';
import { toCaption, toQuestion } from '../answers/answer.mappers.js';
import { Caption } from '../answers/caption.type.js';
import { ConnectionArgs, ConnectionType, toConnection } from '../../platform/graphql/connection.type.js';
import { Image } from '../images/image.type.js';
import { JobStatus } from './job-status.js';
import { AnalysisInput, Job, JobItem } from './job.type.js';
import { Question } from '../answers/question.type.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';
import { Moderation, toModeration } from '../vision/kinds/moderation/moderation.type.js';

const JobConnection = ConnectionType(Job);

interface JobArgs {
  id: string;
}

@Resolver(() => Job)
export class JobResolver {
  @Query(() => Job, { nullable: true })
  job(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<JobRecord | null> {
    return ctx.loaders.job.load(id);
  }

  @Query(() => JobConnection, { description: 'Jobs, newest first.' })
  async jobs(
    @Ctx() ctx: Context,
    @Arg('status', () => JobStatus, { nullable: true }) status: JobStatus | null,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ) {
    return toConnection(await ctx.services.jobs.page(ctx.caller.tenant, status, page), (row) => row);
  }

  // Queues model work; its size is bounded separately by JOB_MAX_ITEMS.
  @Mutation(() => Job, { complexity: FIELD_COSTS.model, description: 'Queues captions, answers and moderations for many images; returns at once with a QUEUED job.' })
  submitAnalysis(@Arg('input', () => AnalysisInput) input: AnalysisInput, @Ctx() ctx: Context): Promise<JobRecord> {
    return ctx.services.jobs.submit(ctx.caller, input);
  }

  @Mutation(() => Job, { description: 'Stops work not yet sent upstream. Ended jobs are returned unchanged.' })
  cancelJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<JobRecord> {
    return ctx.services.jobs.cancel(ctx.caller.tenant, id);
  }

  @Subscription(() => Job, {
    description: "The job's state now, on every change of status or progress, and the final state; then the stream completes.",
    subscribe: ({ args, context }) => (context as Context).services.jobs.updates((context as Context).caller.tenant, (args as JobArgs).id),
  })
  jobUpdated(@Root() job: JobRecord, @Arg('id', () => ID) _id: string): JobRecord {
    return job;
  }

  @Subscription(() => Job, {
    description: 'Exactly one event, the final state (at once if the job already ended); then the stream completes.',
    subscribe: ({ args, context }) => (context as Context).services.jobs.completion((context as Context).caller.tenant, (args as JobArgs).id),
  })
  jobCompleted(@Root() job: JobRecord, @Arg('id', () => ID) _id: string): JobRecord {
    return job;
  }

  @FieldResolver(() => [Caption], { description: 'Captions this job produced, in submission order.' })
  async captions(@Root() job: JobRecord, @Ctx() ctx: Context): Promise<Caption[]> {
    return JobService.answersOf(await ctx.loaders.jobItems.load(job.id), 'CAPTION').map((row) => toCaption(row));
  }

  @FieldResolver(() => [Question], { description: 'Answers this job produced, in submission order.' })
  async questions(@Root() job: JobRecord, @Ctx() ctx: Context): Promise<Question[]> {
    return JobService.answersOf(await ctx.loaders.jobItems.load(job.id), 'QUESTION').map((row) => toQuestion(row));
  }

  @FieldResolver(() => [Moderation], { description: 'Moderation verdicts this job produced (input.moderate, or MODERATE_UPLOADS), in submission order.' })
  async moderations(@Root() job: JobRecord, @Ctx() ctx: Context): Promise<Moderation[]> {
    return JobService.answersOf(await ctx.loaders.jobItems.load(job.id), 'MODERATION').map((row) => toModeration(row));
  }

  @FieldResolver(() => [JobItem], { description: 'Every item with its status and, when it failed, why.' })
  async items(@Root() job: JobRecord, @Ctx() ctx: Context): Promise<JobItem[]> {
    return (await ctx.loaders.jobItems.load(job.id)) as JobItem[];
  }
}

@Resolver(() => JobItem)
export class JobItemResolver {
  @FieldResolver(() => Image, { nullable: true, description: 'Null once the image was deleted (deleteImage, retention).' })
  image(@Root() item: JobItem, @Ctx() ctx: Context): Promise<Image | null> | null {
    return item.imageId === null ? null : ctx.loaders.image.load(item.imageId);
  }

  @FieldResolver(() => Caption, { nullable: true })
  caption(@Root() item: JobItem & { answer?: Parameters<typeof toCaption>[0] | null }): Caption | null {
    return item.kind === 'CAPTION' && item.answer ? toCaption(item.answer) : null;
  }

  @FieldResolver(() => Question, { nullable: true })
  question(@Root() item: JobItem & { answer?: Parameters<typeof toQuestion>[0] | null }): Question | null {
    return item.kind === 'QUESTION' && item.answer ? toQuestion(item.answer) : null;
  }
}
