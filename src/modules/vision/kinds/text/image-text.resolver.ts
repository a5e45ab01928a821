import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../../../context.js';
import type { ResolverClass } from '../../../../platform/graphql/schema.js';
import { ConnectionArgs, ConnectionType } from '../../../../platform/graphql/connection.type.js';
import { FIELD_COSTS } from '../../../../platform/graphql/limits/operation-cost.js';
import { imageFieldResolver } from '../../../answers/answer.resolver.js';
import { matchArg, type CacheMatchMode } from '../../../answers/cache-match.type.js';
import { Image } from '../../../images/image.type.js';
import { answerOnDemand, ON_DEMAND, storedResults } from '../kind-resolvers.js';
import { ImageText, ImageTextFilter, toImageText } from './image-text.type.js';
import { textKind } from './text.kind.js';

/**
 * Its Image field, its stored list and its results' `image` field, defined
 * when the vision module lists them: the registry is imported earlier (for
 * JobItemKind), and type-graphql orders the schema's fields as their decorators run.
 */
export function imageTextResolvers(): ResolverClass[] {
  @Resolver(() => Image)
  class ImageTextFieldResolver {
    @FieldResolver(() => ImageText, { nullable: true, complexity: FIELD_COSTS.model, description: `The text in the image. ${ON_DEMAND}` })
    async text(@Root() image: Image, @Ctx() ctx: Context, @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null, @matchArg() match: CacheMatchMode | null): Promise<ImageText> {
      const served = await answerOnDemand(ctx, textKind, image, refresh, match, undefined);
      return toImageText(served.record, served);
    }
  }

  const ImageTextConnection = ConnectionType(ImageText);

  @Resolver(() => ImageText)
  class ImageTextResolver {
    @Query(() => ImageTextConnection, { description: 'Stored text read from images, newest first.' })
    async texts(@Ctx() ctx: Context, @Arg('filter', () => ImageTextFilter, { nullable: true }) filter: ImageTextFilter | null, @Args(() => ConnectionArgs) page: ConnectionArgs) {
      return storedResults(ctx, textKind, filter, page, (row) => toImageText(row));
    }
  }

  return [ImageTextFieldResolver, ImageTextResolver, imageFieldResolver(ImageText)];
}
