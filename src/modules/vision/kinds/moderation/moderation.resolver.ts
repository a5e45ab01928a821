import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../../../context.js';
import type { ResolverClass } from '../../../../platform/graphql/schema.js';
import { ConnectionArgs, ConnectionType } from '../../../../platform/graphql/connection.type.js';
import { FIELD_COSTS } from '../../../../platform/graphql/limits/operation-cost.js';
import { imageFieldResolver } from '../../../answers/answer.resolver.js';
import { matchArg, type CacheMatchMode } from '../../../answers/cache-match.type.js';
import { Image } from '../../../images/image.type.js';
import { answerOnDemand, ON_DEMAND, storedResults } from '../kind-resolvers.js';
import { moderationKind } from './moderation.kind.js';
import { Moderation, ModerationFilter, toModeration } from './moderation.type.js';

/**
 * Its Image field, its stored list and its results' `image` field, defined
 * when the vision module lists them: the registry is imported earlier (for
 * JobItemKind), and type-graphql orders the schema's fields as their decorators run.
 */
export function moderationResolvers(): ResolverClass[] {
  @Resolver(() => Image)
  class ModerationImageFieldResolver {
    @FieldResolver(() => Moderation, { nullable: true, complexity: FIELD_COSTS.model, description: `A moderation verdict. ${ON_DEMAND}` })
    async moderation(@Root() image: Image, @Ctx() ctx: Context, @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null, @matchArg() match: CacheMatchMode | null): Promise<Moderation> {
      const served = await answerOnDemand(ctx, moderationKind, image, refresh, match, undefined);
      return toModeration(served.record, served);
    }
  }

  const ModerationConnection = ConnectionType(Moderation);

  @Resolver(() => Moderation)
  class ModerationResolver {
    @Mutation(() => Moderation, { complexity: FIELD_COSTS.model, description: 'Moderate an image (cached; refresh: true asks the model again).' })
    async moderateImage(@Ctx() ctx: Context, @Arg('imageId', () => ID) imageId: string, @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null, @matchArg() match: CacheMatchMode | null): Promise<Moderation> {
      const image = await ctx.services.images.get(ctx.caller.tenant, imageId);
      const served = await answerOnDemand(ctx, moderationKind, image, refresh, match, undefined);
      return toModeration(served.record, served);
    }

    @Query(() => ModerationConnection, { description: 'Stored moderation verdicts, newest first.' })
    async moderations(@Ctx() ctx: Context, @Arg('filter', () => ModerationFilter, { nullable: true }) filter: ModerationFilter | null, @Args(() => ConnectionArgs) page: ConnectionArgs) {
      return storedResults(ctx, moderationKind, filter, page, (row) => toModeration(row));
    }
  }

  return [ModerationImageFieldResolver, ModerationResolver, imageFieldResolver(Moderation)];
}
