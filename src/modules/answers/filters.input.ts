import { Field, ID, InputType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';
import { CaptionStyle } from './caption-style.enum.js';

@InputType() // abstract: never referenced by a field, so never emitted
export abstract class AnswerFilterFields {
  @Field(() => ID, { nullable: true })
  imageId?: string | null;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only results stored at or after this time.' })
  createdAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only results stored before this time.' })
  createdBefore?: Date | null;
}

/** The text search rule (promptContains too), the same on SQLite and PostgreSQL: a literal, case-sensitive substring. */
const LITERAL = 'Literal and case-sensitive: % and _ match only themselves.';

@InputType()
export class QuestionFilter extends AnswerFilterFields {
  @Field(() => String, { nullable: true, description: 'Only questions whose prompt contains this text.' })
  promptContains?: string | null;

  @Field(() => String, { nullable: true, description: `Only questions whose answer contains this text. ${LITERAL}` })
  textContains?: string | null;
}

@InputType()
export class CaptionFilter extends AnswerFilterFields {
  @Field(() => CaptionStyle, { nullable: true })
  style?: CaptionStyle | null;

  @Field(() => String, { nullable: true, description: `Only captions whose text contains this text. ${LITERAL}` })
  textContains?: string | null;
}
