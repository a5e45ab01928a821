import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../../../context.js';
import type { ResolverClass } from '../../../../platform/graphql/schema.js';
import { ConnectionArgs, ConnectionType } from '../../../../platform/graphql/connection.type.js';
import { FIELD_COSTS } from '../../../../platform/graphql/limits/operation-cost.js';
import { imageFieldResolver } from '../../../answers/answer.resolver.js';
import { matchArg, type CacheMatchMode } from '../../../answers/cache-match.type.js';
import { Image } from '../../../images/image.type.js';
import { answerOnDemand, ON_DEMAND, storedResults } from '../kind-resolvers.js';
import { detectionKind } from './detection.kind.js';
import { Detection, DetectionFilter, toDetection } from './detection.type.js';

/**
 * Its Image field, its stored list and its results' `image` field, defined
 * when the vision module lists them: the registry is imported earlier (for
 * JobItemKind), and type-graphql orders the schema's fields as their decorators run.
 */
export function detectionResolvers(): ResolverClass[] {
  @Resolver(() => Image)
  class DetectionImageFieldResolver {
    @FieldResolver(() => Detection, {
      nullable: true,
      complexity: FIELD_COSTS.model,
      description: `Objects located in the image, with boxes in its pixels. Labels given: those; none: the salient objects. ${ON_DEMAND}`,
    })
    async objects(
      @Root() image: Image,
      @Ctx() ctx: Context,
      @Arg('labels', () => [String], { nullable: true }) labels: string[] | null,
      @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null,
      @matchArg() match: CacheMatchMode | null,
    ): Promise<Detection> {
      const served = await answerOnDemand(ctx, detectionKind, image, refresh, match, labels);
      return toDetection(served.record, served);
    }
  }

  const DetectionConnection = ConnectionType(Detection);

  @Resolver(() => Detection)
  class DetectionResolver {
    @Query(() => DetectionConnection, { description: 'Stored object detections, newest first.' })
    async detections(@Ctx() ctx: Context, @Arg('filter', () => DetectionFilter, { nullable: true }) filter: DetectionFilter | null, @Args(() => ConnectionArgs) page: ConnectionArgs) {
      return storedResults(ctx, detectionKind, filter, page, (row) => toDetection(row));
    }
  }

  return [DetectionImageFieldResolver, DetectionResolver, imageFieldResolver(Detection)];
}
