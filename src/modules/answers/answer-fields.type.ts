import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { Usage } from './usage.type.js';
import { FinishReason } from './finish-reason.enum.js';
import { CacheMatch } from './cache-match.type.js';

/** Fields every stored model result shares, about one image or several (ImagesAnswer). */
@ObjectType() // abstract: never referenced by a field, so never emitted
export abstract class ResultFields {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The model that produced it.' })
  model!: string;

  @Field(() => Boolean, { description: 'True when this response served it from the cache (stored lists: always true).' })
  cached!: boolean;

  @Field(() => Usage)
  usage!: Usage;

  @Field(() => FinishReason, { description: 'Why the reply ended; LENGTH: cut by the token limit, so incomplete (never served as a complete cache hit).' })
  finishReason!: FinishReason;

  @Field(() => Int, { description: 'Upstream latency of the call that produced it, in milliseconds.' })
  latencyMs!: number;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

/** Fields Caption and Question (and the vision results about one image) share; `imageId` backs the `image` field resolver. */
@ObjectType() // abstract, like ResultFields
export abstract class AnswerFields extends ResultFields {
  imageId!: string;

  @Field(() => CacheMatch, { nullable: true, description: 'How this response served it from the cache (exact, a near-duplicate image, a similar question); null when the model made it for this request, and in stored lists.' })
  cacheMatch!: CacheMatch | null;
}
