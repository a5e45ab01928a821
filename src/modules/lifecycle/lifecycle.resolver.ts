import { Arg, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../context.js';
import { badInput } from '../../platform/errors.js';
import { DeleteResultsFilter } from './delete-results.input.js';

@Resolver()
export class LifecycleResolver {
  @Mutation(() => Boolean, {
    description:
      'Delete one of your images: its captions, answers and vision results, the conversations and multi-image answers that include it, its links from job items (pending ones fail with NOT_FOUND), its cache entries, and its bytes and thumbnails unless another image row uses the same bytes. Its signed URLs stop working. Idempotent: false when there was no such image.',
  })
  deleteImage(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.deletion.deleteImage(ctx.caller.tenant, id);
  }

  @Mutation(() => Int, { description: 'Delete your stored captions and/or questions that the lists show with these filters; how many were deleted.' })
  deleteResults(@Arg('filter', () => DeleteResultsFilter) filter: DeleteResultsFilter, @Ctx() ctx: Context): Promise<number> {
    if (!filter.captions && !filter.questions) throw badInput('Name what to delete: filter.captions and/or filter.questions ({} for all of that kind).');
    return ctx.services.deletion.deleteResults(ctx.caller.tenant, filter);
  }
}
