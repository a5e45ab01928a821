import { ArgsType, Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { Money } from './money.type.js';
import { CacheMatchKind } from '../answers/cache-match.type.js';
import { ANSWER_KINDS } from '../vision/kinds/index.js';
import { UsageDimension } from './usage.service.js';

export { UsageDimension };

registerEnumType(UsageDimension, {
  name: 'UsageDimension',
  description: 'What usage buckets are grouped by. DAY and HOUR are UTC. TENANT: admin keys only. MATCH: how cache hits matched (EXACT, SIMILAR_IMAGE, SIMILAR_PROMPT), with model work under null.',
});

@InputType({ description: 'Narrows usage to one model, kind, key or (admin keys only) tenant.' })
export class UsageFilter {
  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => String, { nullable: true, description: `${ANSWER_KINDS.join(', ')}, CONVERSATION, IMAGES_QUESTION, CHAT (the OpenAI-compatible door), EMBEDDING (CACHE_SIMILAR_PROMPTS), or MIXED (a packed call asking several kinds).` })
  kind?: string | null;

  @Field(() => ID, { nullable: true })
  apiKeyId?: string | null;

  @Field(() => String, { nullable: true, description: 'Admin keys only: one tenant (by default an admin key sees every tenant).' })
  tenant?: string | null;
}

@ObjectType({
  description:
    'Model work and cache savings of one group (a field is null when not grouped by). The sums are Float, always whole numbers: a busy month passes the 2^31 of Int (exact up to 2^53).',
})
export class UsageBucket {
  @Field(() => DateTimeScalar, { nullable: true, description: 'The UTC day (its start), when grouped by DAY or HOUR.' })
  day!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'The UTC hour (its start), when grouped by HOUR.' })
  hour!: Date | null;

  @Field(() => String, { nullable: true })
  model!: string | null;

  @Field(() => String, { nullable: true })
  kind!: string | null;

  @Field(() => ID, { nullable: true, description: 'null in a group of the open gateway (no key).' })
  apiKeyId!: string | null;

  @Field(() => String, { nullable: true, description: 'When grouped by TENANT (admin keys).' })
  tenant!: string | null;

  @Field(() => CacheMatchKind, { nullable: true, description: 'When grouped by MATCH: how its cache hits matched; null for model work (and hits counted before the match was kept).' })
  match!: CacheMatchKind | null;

  @Field(() => Float, { description: 'Upstream requests (a packed request once, failed ones too).' })
  calls!: number;

  @Field(() => Float, { description: 'Results served: made by a call, or from the cache.' })
  results!: number;

  @Field(() => Float, { description: 'Tokens billed by the endpoint for the calls.' })
  promptTokens!: number;

  @Field(() => Float)
  completionTokens!: number;

  @Field(() => Float)
  totalTokens!: number;

  @Field(() => Float, { description: 'Prompt tokens the endpoint served from its own context cache.' })
  cachedTokens!: number;

  @Field(() => Float, { description: 'Results served without an upstream call.' })
  cacheHits!: number;

  @Field(() => Float, { description: 'What the cache hits would have cost, at their stored usage.' })
  tokensSaved!: number;

  @Field(() => Float, {
    description:
      'Of totalTokens, those the gateway estimated for calls cut short (a client that left, a reply that broke off): the endpoint reports no usage for them, ' +
      'so they are charged the estimated prompt plus the text already written.',
  })
  estimatedTokens!: number;

  @Field(() => Money, {
    nullable: true,
    description: 'What its calls cost at each model’s price, summed exactly; null when nothing was billed, a model in it has no price, or its models are priced in different currencies (group by MODEL to see each).',
  })
  cost!: Money | null;

  @Field(() => Money, {
    nullable: true,
    description:
      'What its cache hits would have cost, at each model’s price and the usage stored with the answers served; null when nothing was saved, a model in it has no price, ' +
      'its models are priced in different currencies, or some hits were counted before the saving was kept per token kind (a total alone has no price).',
  })
  costSaved!: Money | null;
}

@ArgsType()
export class UsageArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Inclusive; default: 30 days before `to`.' })
  from?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive; default: now.' })
  to?: Date | null;

  @Field(() => [UsageDimension], { nullable: true, defaultValue: ['DAY'] })
  groupBy?: UsageDimension[] | null;

  @Field(() => UsageFilter, { nullable: true })
  filter?: UsageFilter | null;
}
