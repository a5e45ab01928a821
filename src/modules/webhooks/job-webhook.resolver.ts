import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context.js';
import { Job } from '../jobs/job.type.js';
import type { JobRecord } from '../jobs/job.service.js';
import { webhookIdOf } from './job-completed-event.js';
import { JobWebhook } from './job-webhook.type.js';

@Resolver(() => Job)
export class JobWebhookResolver {
  @FieldResolver(() => JobWebhook, { nullable: true, description: 'Delivery of the job.completed webhook; null when the job was submitted without webhookUrl.' })
  async webhook(@Root() job: JobRecord, @Ctx() ctx: Context): Promise<JobWebhook | null> {
    const webhook = await ctx.loaders.jobWebhook.load(job.id);
    if (!webhook) return null;
    // The first attempt is due when the job ends; later ones when the stored time says.
    const nextAttemptAt = webhook.attempts === 0 ? job.finishedAt : webhook.nextAttemptAt;
    return { id: webhookIdOf(job.id), attempts: webhook.attempts, lastStatus: webhook.lastStatus, lastError: webhook.lastError, deliveredAt: webhook.deliveredAt, nextAttemptAt };
  }
}
