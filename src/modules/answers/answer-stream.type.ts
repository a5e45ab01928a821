import { Field, ObjectType } from 'type-graphql';
import { Question } from './question.type.js';

@ObjectType({ description: 'A piece of an answer as the model writes it; the last chunk carries the stored answer.' })
export class AnswerChunk {
  @Field(() => String, { description: 'Text to append to what came before ("" on the last chunk, unless the answer came whole from the cache).' })
  delta!: string;

  @Field(() => Question, { nullable: true, description: 'The stored answer, usage included: set on the last chunk only.' })
  answer!: Question | null;
}
