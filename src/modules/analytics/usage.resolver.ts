import { Args, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context.js';
import { UsageArgs, UsageBucket } from './usage.type.js';

@Resolver(() => UsageBucket)
export class UsageResolver {
  @Query(() => [UsageBucket], { description: 'Calls, tokens and cache savings summed by the database over from ≤ t < to, grouped as asked (the caller’s tenant; admin keys: every tenant).' })
  usage(@Ctx() ctx: Context, @Args(() => UsageArgs) { from, to, groupBy, filter }: UsageArgs): Promise<UsageBucket[]> {
    return ctx.services.usage.buckets(ctx.caller, { from, to, groupBy: groupBy ?? ['DAY'], filter });
  }
}
