import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context.js';
import { ConnectionArgs, ConnectionType, toConnection } from '../../platform/graphql/connection.type.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';
import { imageFieldResolver } from '../answers/answer.resolver.js';
import { Image } from '../images/image.type.js';
import { Detection } from './detection.type.js';
import { ImageText } from './image-text.type.js';
import { Moderation } from './moderation.type.js';
import { DetectionFilter, ImageTextFilter, ModerationFilter } from './vision-filters.input.js';
import { toDetection, toImageText, toModeration } from './vision.mappers.js';
import { matchArg, type CacheMatchMode } from '../answers/cache-match.type.js';
import { withMatch } from '../answers/answer-requests.js';

export const ModerationImageResolver = imageFieldResolver(Moderation);
export const ImageTextImageResolver = imageFieldResolver(ImageText);
export const DetectionImageResolver = imageFieldResolver(Detection);

const ModerationConnection = ConnectionType(Moderation);
const ImageTextConnection = ConnectionType(ImageText);
const DetectionConnection = ConnectionType(Detection);

const ON_DEMAND = 'Computed on demand by the model, cached. Null, with an error at this path, when the model work fails.';

/** Vision results of an image: model work of the operation's one batch, so they pack with its captions and questions. */
@Resolver(() => Image)
export class VisionImageResolver {
  @FieldResolver(() => Moderation, { nullable: true, complexity: FIELD_COSTS.model, description: `A moderation verdict. ${ON_DEMAND}` })
  async moderation(@Root() image: Image, @Ctx() ctx: Context, @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null, @matchArg() match: CacheMatchMode | null): Promise<Moderation> {
    const served = await ctx.loaders.modelWork.load(withMatch(ctx.services.vision.moderationRequest(image, refresh ?? false), match));
    return toModeration(served.record, served);
  }

  @FieldResolver(() => ImageText, { nullable: true, complexity: FIELD_COSTS.model, description: `The text in the image. ${ON_DEMAND}` })
  async text(@Root() image: Image, @Ctx() ctx: Context, @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null, @matchArg() match: CacheMatchMode | null): Promise<ImageText> {
    const served = await ctx.loaders.modelWork.load(withMatch(ctx.services.vision.textRequest(image, refresh ?? false), match));
    return toImageText(served.record, served);
  }

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
    const served = await ctx.loaders.modelWork.load(withMatch(ctx.services.vision.objectsRequest(image, labels, refresh ?? false), match));
    return toDetection(served.record, served);
  }
}

@Resolver(() => Moderation)
export class ModerationResolver {
  @Mutation(() => Moderation, { complexity: FIELD_COSTS.model, description: 'Moderate an image (cached; refresh: true asks the model again).' })
  async moderateImage(@Ctx() ctx: Context, @Arg('imageId', () => ID) imageId: string, @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null, @matchArg() match: CacheMatchMode | null): Promise<Moderation> {
    const image = await ctx.services.images.get(ctx.caller.tenant, imageId);
    const served = await ctx.loaders.modelWork.load(withMatch(ctx.services.vision.moderationRequest(image, refresh ?? false), match));
    return toModeration(served.record, served);
  }

  @Query(() => ModerationConnection, { description: 'Stored moderation verdicts, newest first.' })
  async moderations(@Ctx() ctx: Context, @Arg('filter', () => ModerationFilter, { nullable: true }) filter: ModerationFilter | null, @Args(() => ConnectionArgs) page: ConnectionArgs) {
    return toConnection(await ctx.services.results.page(ctx.caller.tenant, 'MODERATION', filter ?? {}, page), (row) => toModeration(row));
  }
}

@Resolver(() => ImageText)
export class ImageTextResolver {
  @Query(() => ImageTextConnection, { description: 'Stored text read from images, newest first.' })
  async texts(@Ctx() ctx: Context, @Arg('filter', () => ImageTextFilter, { nullable: true }) filter: ImageTextFilter | null, @Args(() => ConnectionArgs) page: ConnectionArgs) {
    return toConnection(await ctx.services.results.page(ctx.caller.tenant, 'TEXT', filter ?? {}, page), (row) => toImageText(row));
  }
}

@Resolver(() => Detection)
export class DetectionResolver {
  @Query(() => DetectionConnection, { description: 'Stored object detections, newest first.' })
  async detections(@Ctx() ctx: Context, @Arg('filter', () => DetectionFilter, { nullable: true }) filter: DetectionFilter | null, @Args(() => ConnectionArgs) page: ConnectionArgs) {
    return toConnection(await ctx.services.results.page(ctx.caller.tenant, 'DETECTION', filter ?? {}, page), (row) => toDetection(row));
  }
}
