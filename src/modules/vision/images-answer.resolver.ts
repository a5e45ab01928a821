import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';
import { ImagesAnswer, toImagesAnswer } from './images-answer.type.js';

@Resolver(() => ImagesAnswer)
export class ImagesAnswerResolver {
  @Query(() => ImagesAnswer, { nullable: true, description: 'A stored answer about several images (askAboutImages).' })
  async imagesAnswer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ImagesAnswer | null> {
    const row = await ctx.services.imagesAnswers.find(ctx.caller.tenant, id);
    return row && toImagesAnswer(row);
  }

  @Mutation(() => ImagesAnswer, {
    complexity: FIELD_COSTS.model,
    description: 'One question about 2 to MAX_IMAGES_PER_QUESTION of your images, each named once, sent together in one model request in the order given (cached; refresh: true asks the model again).',
  })
  async askAboutImages(
    @Ctx() ctx: Context,
    // Declared last to first: type-graphql emits arguments in reverse.
    @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) refresh: boolean | null,
    @Arg('question', () => String) question: string,
    @Arg('imageIds', () => [ID]) imageIds: string[],
  ): Promise<ImagesAnswer> {
    const { services, caller, signal } = ctx;
    const { record, cached } = await services.imagesAnswers.ask(caller.tenant, services.payer.ofCaller(caller), imageIds, question, { refresh: refresh ?? false, signal });
    return toImagesAnswer(record, cached);
  }
}
