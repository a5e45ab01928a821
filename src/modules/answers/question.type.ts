import { Field, ObjectType } from 'type-graphql';
import { AnswerFields } from './answer-fields.type.js';

@ObjectType()
export class Question extends AnswerFields {
  @Field(() => String, { description: 'The question as asked, normalized (NFC, trimmed, whitespace collapsed).' })
  prompt!: string;

  @Field(() => String)
  answer!: string;
}
