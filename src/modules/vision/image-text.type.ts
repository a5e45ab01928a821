import { Field, ObjectType } from 'type-graphql';
import { AnswerFields } from '../answers/answer-fields.type.js';

@ObjectType({ description: 'The text in an image, read by the model (docs/vision.md, "Reading text"). Cached like answers.' })
export class ImageText extends AnswerFields {
  @Field(() => String, { description: 'The text in reading order, lines separated by newlines; "" when there is none.' })
  text!: string;

  @Field(() => String, { nullable: true, description: 'The main language of the text (ISO 639-1, as the model gives it); null when there is no text.' })
  language!: string | null;
}
