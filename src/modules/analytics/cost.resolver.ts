import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context.js';
import { Usage } from '../answers/usage.type.js';
import { Money } from './money.type.js';

@Resolver(() => Usage)
export class UsageCostResolver {
  @FieldResolver(() => Money, {
    nullable: true,
    description: 'What the tokens cost at the model’s price (built in, or MODEL_PRICES), computed when read; null when the model has no price (or a conversation’s sum, which may span models).',
  })
  cost(@Root() usage: Usage, @Ctx() ctx: Context): Money | null {
    return ctx.services.prices.cost(usage.model, usage);
  }
}
