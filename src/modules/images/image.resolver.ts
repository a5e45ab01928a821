import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { captionRequest, questionRequest, withMatch } from '../answers/answer-requests.js';
import type { Context } from '../../context.js';
import { toCaption, toQuestion } from '../answers/answer.mappers.js';
import type { FileUpload } from 'graphql-upload-minimal';
import { UploadScalar, type Upload } from '../../platform/graphql/scalars.js';
import { discardUnread, openUpload } from './uploads.js';
import { Caption } from '../answers/caption.type.js';
import { CaptionStyle } from '../answers/caption-style.enum.js';
import { ConnectionArgs, ConnectionType, toConnection } from '../../platform/graphql/connection.type.js';
import { Image } from './image.type.js';
import { ImageFilter } from './image-filter.input.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';
import { Question } from '../answers/question.type.js';
import { matchArg, type CacheMatchMode } from '../answers/cache-match.type.js';

const ImageConnection = ConnectionType(Image);

@Resolver(() => Image)
export class ImageResolver {
  @Query(() => Image, { nullable: true })
  image(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Image | null> {
    return ctx.loaders.image.load(id);
  }

  @Query(() => ImageConnection, { description: 'Stored images, newest first.' })
  async images(
    @Ctx() ctx: Context,
    @Arg('filter', () => ImageFilter, { nullable: true }) filter: ImageFilter | null,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ) {
    return toConnection(await ctx.services.images.page(ctx.caller.tenant, filter ?? {}, page), (row) => row);
  }

  @Mutation(() => Image, { complexity: FIELD_COSTS.imageIntake, description: 'Upload one image (GraphQL multipart request). The same bytes return the existing Image.' })
  async uploadImage(@Arg('file', () => UploadScalar) file: Upload | FileUpload, @Ctx() ctx: Context): Promise<Image> {
    const [image] = await ctx.services.images.upload(ctx.caller, [openUpload(file)]);
    return image!;
  }

  @Mutation(() => Image, {
    complexity: FIELD_COSTS.imageIntake,
    description: 'Fetch an image by http(s) URL, with the same checks as an upload. Private and other non-public addresses are refused (FORBIDDEN).',
  })
  importImage(@Arg('url', () => String) url: string, @Ctx() ctx: Context): Promise<Image> {
    return ctx.services.images.importFromUrl(ctx.caller, url);
  }

  @Mutation(() => [Image], { complexity: FIELD_COSTS.imageIntake, description: 'Upload several images at once: all are stored, or none.' })
  async uploadImages(@Arg('files', () => [UploadScalar]) files: Upload[], @Ctx() ctx: Context): Promise<Image[]> {
    try {
      return await ctx.services.images.upload(ctx.caller, files.map(openUpload));
    } catch (error) {
      discardUnread(files);
      throw error;
    }
  }

  @FieldResolver(() => Caption, {
    nullable: true,
    complexity: FIELD_COSTS.model,
    description: 'Computed on demand by the model, cached. Null, with an error at this path, when the model work fails: the image and its other fields still arrive.',
  })
  async caption(
    @Root() image: Image,
    @Ctx() ctx: Context,
    @Arg('style', () => CaptionStyle, { nullable: true, defaultValue: 'BRIEF' }) style: CaptionStyle | null,
    @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null,
    @matchArg() match: CacheMatchMode | null,
  ): Promise<Caption> {
    const served = await ctx.loaders.modelWork.load(withMatch(captionRequest(image, style ?? 'BRIEF', refresh ?? false), match));
    return toCaption(served.record, served);
  }

  @FieldResolver(() => Question, {
    nullable: true,
    complexity: FIELD_COSTS.model,
    description: 'Computed on demand by the model, cached. Null, with an error at this path, when the model work fails: the image and its other fields still arrive.',
  })
  async answer(
    @Root() image: Image,
    @Ctx() ctx: Context,
    @Arg('question', () => String) question: string,
    @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null,
    @matchArg() match: CacheMatchMode | null,
  ): Promise<Question> {
    const request = questionRequest(image, question, refresh ?? false, ctx.services.config.limits.questionLength);
    const served = await ctx.loaders.modelWork.load(withMatch(request, match));
    return toQuestion(served.record, served);
  }

  @FieldResolver(() => [Caption], { description: 'Stored captions, newest first.' })
  async captions(@Root() image: Image, @Ctx() ctx: Context): Promise<Caption[]> {
    return (await ctx.loaders.captionsOfImage.load(image.id)).map((row) => toCaption(row));
  }

  @FieldResolver(() => [Question], { description: 'Stored questions and answers, newest first.' })
  async questions(@Root() image: Image, @Ctx() ctx: Context): Promise<Question[]> {
    return (await ctx.loaders.questionsOfImage.load(image.id)).map((row) => toQuestion(row));
  }
}
