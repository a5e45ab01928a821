import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context.js';
import { GatewayError } from '../../platform/errors.js';
import { Image } from '../images/image.type.js';
import { MAX_PAGE_SIZE } from '../../platform/graphql/connection.type.js';
import { FIELD_COSTS } from '../../platform/graphql/limits/operation-cost.js';

const MAX_FIRST = MAX_PAGE_SIZE;

@Resolver(() => Image)
export class NearDuplicateResolver {
  @FieldResolver(() => [Image], {
    complexity: FIELD_COSTS.imageIntake,
    description:
      "This tenant's other images that are near-duplicates of this one (re-encoded, resized, converted, different metadata; not cropped, flipped, recoloured or with other text), nearest first. Within NEAR_DUPLICATE_DISTANCE; see docs/near-duplicates.md.",
  })
  nearDuplicates(@Root() image: Image, @Ctx() ctx: Context, @Arg('first', () => Int, { defaultValue: 10, description: `At most this many, 1 to ${MAX_FIRST}.` }) first: number): Promise<Image[]> {
    if (first < 1 || first > MAX_FIRST) throw new GatewayError('BAD_USER_INPUT', `first must be between 1 and ${MAX_FIRST}.`);
    return ctx.services.nearDuplicates.nearDuplicates(ctx.caller.tenant, image.id, first);
  }
}
