import { Field, InputType, ObjectType } from 'type-graphql';
import { answerFields, type Served } from '../../../answers/answer.mappers.js';
import { AnswerFields } from '../../../answers/answer-fields.type.js';
import { AnswerFilterFields } from '../../../answers/filters.input.js';
import type { AnswerRecord } from '../../../answers/result.service.js';
import type { ReadText } from './image-text.format.js';

@ObjectType({ description: 'The text in an image, read by the model (docs/vision.md, "Reading text"). Cached like answers.' })
export class ImageText extends AnswerFields {
  @Field(() => String, { description: 'The text in reading order, lines separated by newlines; "" when there is none.' })
  text!: string;

  @Field(() => String, { nullable: true, description: 'The main language of the text (ISO 639-1, as the model gives it); null when there is no text.' })
  language!: string | null;
}

@InputType()
export class ImageTextFilter extends AnswerFilterFields {}

/** Stored text (JSON validated before it was stored) as its GraphQL type. */
export function toImageText(row: AnswerRecord, served?: Served): ImageText {
  const read = JSON.parse(row.text) as ReadText;
  return { ...answerFields(row, served), text: read.text, language: read.language };
}
