import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An amount of money: an exact decimal string and its currency.' })
export class Money {
  @Field(() => String, { description: 'Exact decimal, e.g. "0.000656".' })
  amount!: string;

  @Field(() => String, { description: 'ISO 4217 code, e.g. USD.' })
  currency!: string;
}
