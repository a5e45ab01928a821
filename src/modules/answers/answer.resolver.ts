import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, type ClassType } from 'type-graphql';
import { captionRequest, questionRequest, withMatch } from './answer-requests.js';
import type { AnswerKind } from './result.service.js';
import type { Context } from '../../context.js';
import { toCaption, toQuestion } from './answer.mappers.js';
import { AnswerFields } from './answer-fields.type.js';
import { Caption } from './caption.type.js';
import { CaptionStyle } from './caption-style.enum.js';
import { ConnectionArgs, ConnectionType, toConnection } from '../../platform/graphql/connection.type.js';
import { CaptionFilter, QuestionFilter } from './filters.input.js';
import { Image } from '../images/image.type.js';
import { Question } from './question.type.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';
import { matchArg, type CacheMatchMode } from './cache-match.type.js';

/** `image` on Caption and Question (and the vision results): one batched lookup per operation. */
export function imageFieldResolver<T extends AnswerFields>(type: ClassType<T>) {
  @Resolver(() => type)
  class AnswerImageResolver {
    @FieldResolver(() => Image)
    async image(@Root() answer: AnswerFields, @Ctx() ctx: Context): Promise<Image> {
      return (await ctx.loaders.image.load(answer.imageId)) ?? ctx.services.images.get(ctx.caller.tenant, answer.imageId);
    }
  }
  return AnswerImageResolver;
}

export const CaptionImageResolver = imageFieldResolver(Caption);
export const QuestionImageResolver = imageFieldResolver(Question);

const CaptionConnection = ConnectionType(Caption);
const QuestionConnection = ConnectionType(Question);
const CAPTION: AnswerKind = 'CAPTION';
const QUESTION: AnswerKind = 'QUESTION';

@Resolver(() => Caption)
export class CaptionResolver {
  @Query(() => CaptionConnection, { description: 'Stored captions, newest first.' })
  async captions(
    @Ctx() ctx: Context,
    @Arg('filter', () => CaptionFilter, { nullable: true }) filter: CaptionFilter | null,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ) {
    return toConnection(await ctx.services.results.page(ctx.caller.tenant, CAPTION, filter ?? {}, page), (row) => toCaption(row));
  }

  @Mutation(() => Caption, { complexity: FIELD_COSTS.model, description: 'Caption an image (cached; refresh: true asks the model again).' })
  async captionImage(
    @Ctx() ctx: Context,
    @Arg('imageId', () => ID) imageId: string,
    @Arg('style', () => CaptionStyle, { nullable: true, defaultValue: 'BRIEF' }) style: CaptionStyle | null,
    @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null,
    @matchArg() match: CacheMatchMode | null,
  ): Promise<Caption> {
    const image = await ctx.services.images.get(ctx.caller.tenant, imageId);
    const served = await ctx.loaders.modelWork.load(withMatch(captionRequest(image, style ?? 'BRIEF', refresh ?? false), match));
    return toCaption(served.record, served);
  }
}

@Resolver(() => Question)
export class QuestionResolver {
  @Query(() => QuestionConnection, { description: 'Stored questions and answers, newest first.' })
  async questions(
    @Ctx() ctx: Context,
    @Arg('filter', () => QuestionFilter, { nullable: true }) filter: QuestionFilter | null,
    @Args(() => ConnectionArgs) page: ConnectionArgs,
  ) {
    return toConnection(await ctx.services.results.page(ctx.caller.tenant, QUESTION, filter ?? {}, page), (row) => toQuestion(row));
  }

  @Mutation(() => Question, { complexity: FIELD_COSTS.model, description: 'Ask a question about an image (cached; refresh: true asks the model again).' })
  async askQuestion(
    @Ctx() ctx: Context,
    @Arg('imageId', () => ID) imageId: string,
    @Arg('question', () => String) question: string,
    @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null,
    @matchArg() match: CacheMatchMode | null,
  ): Promise<Question> {
    const image = await ctx.services.images.get(ctx.caller.tenant, imageId);
    const request = questionRequest(image, question, refresh ?? false, ctx.services.config.limits.questionLength);
    const served = await ctx.loaders.modelWork.load(withMatch(request, match));
    return toQuestion(served.record, served);
  }
}
