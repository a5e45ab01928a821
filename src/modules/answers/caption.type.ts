import { Field, ObjectType } from 'type-graphql';
import { AnswerFields } from './answer-fields.type.js';
import { CaptionStyle } from './caption-style.enum.js';

@ObjectType()
export class Caption extends AnswerFields {
  @Field(() => CaptionStyle)
  style!: CaptionStyle;

  @Field(() => String)
  text!: string;
}
