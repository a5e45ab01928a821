import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { Usage } from './usage.type.js';

/** Fields Caption and Question share; `imageId` backs the `image` field resolver. */
@ObjectType() // abstract: never referenced by a field, so never emitted
export abstract class AnswerFields {
  @Field(() => ID)
  id!: string;

  imageId!: string;

  @Field(() => String, { description: 'The model that produced it.' })
  model!: string;

  @Field(() => Boolean, { description: 'True when this response served it from the cache (stored lists: always true).' })
  cached!: boolean;

  @Field(() => Usage)
  usage!: Usage;

  @Field(() => Int, { description: 'Upstream latency of the call that produced it, in milliseconds.' })
  latencyMs!: number;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}
