import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { Context } from '../../context.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';
import { questionRequest } from './answer-requests.js';
import { toQuestion } from './answer.mappers.js';
import type { AnswerStreamChunk } from './answer-streams.js';
import { AnswerChunk } from './answer-stream.type.js';

interface AnswerStreamArgs {
  imageId: string;
  question: string;
  refresh: boolean | null;
}

/** Opens the stream: the image as the caller may see it, the question validated, the caller's budget. */
async function openAnswerStream({ imageId, question, refresh }: AnswerStreamArgs, ctx: Context): Promise<AsyncGenerator<AnswerStreamChunk>> {
  const image = await ctx.services.images.get(ctx.caller.tenant, imageId);
  const request = questionRequest(image, question, refresh ?? false, ctx.services.config.limits.questionLength);
  return ctx.services.answers.stream(request, ctx.services.payer.ofCaller(ctx.caller), ctx.signal);
}

@Resolver(() => AnswerChunk)
export class AnswerStreamResolver {
  @Subscription(() => AnswerChunk, {
    complexity: FIELD_COSTS.model,
    description:
      'An answer as the model writes it (graphql-ws only): deltas, then a last chunk with the stored Question; then the stream completes. ' +
      'A cached answer is one chunk with the whole text. Identical concurrent streams share one upstream call.',
    subscribe: ({ args, context }) => openAnswerStream(args as AnswerStreamArgs, context as Context),
  })
  answerStream(
    @Root() chunk: AnswerStreamChunk,
    @Arg('imageId', () => ID) _imageId: string,
    @Arg('question', () => String) _question: string,
    @Arg('refresh', () => Boolean, { nullable: true, defaultValue: false }) _refresh: boolean | null,
  ): AnswerChunk {
    if (chunk.error) throw chunk.error;
    return { delta: chunk.delta, answer: chunk.answer && toQuestion(chunk.answer.record, chunk.answer) };
  }
}
