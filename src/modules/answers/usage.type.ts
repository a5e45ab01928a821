import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Tokens the model endpoint billed for this result (a packed call is split across its answers).' })
export class Usage {
  @Field(() => Int)
  promptTokens!: number;

  @Field(() => Int)
  completionTokens!: number;

  @Field(() => Int)
  totalTokens!: number;

  @Field(() => Int, { description: 'Prompt tokens the endpoint served from its own context cache, when it reports them.' })
  cachedTokens!: number;

  /** The model that billed them (null: several, as a conversation's sum): what `cost` is priced by (modules/analytics). */
  model!: string | null;
}
