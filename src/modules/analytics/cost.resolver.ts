import { Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context.js';
import { Usage } from '../answers/usage.type.js';

@ObjectType({ description: 'An amount of money: an exact decimal string and its currency.' })
export class Money {
  @Field(() => String, { description: 'Exact decimal, e.g. "0.000656".' })
  amount!: string;

  @Field(() => String, { description: 'ISO 4217 code, e.g. USD.' })
  currency!: string;
}

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
