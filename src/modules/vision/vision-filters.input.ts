import { Field, InputType } from 'type-graphql';
import { AnswerFilterFields } from '../answers/filters.input.js';
import { ModerationCategory } from './moderation-category.enum.js';

@InputType()
export class ModerationFilter extends AnswerFilterFields {
  @Field(() => Boolean, { nullable: true, description: 'Only flagged (true) or only clean (false) verdicts.' })
  flagged?: boolean | null;

  @Field(() => ModerationCategory, { nullable: true, description: 'Only verdicts naming this category.' })
  category?: ModerationCategory | null;
}

@InputType()
export class ImageTextFilter extends AnswerFilterFields {}

@InputType()
export class DetectionFilter extends AnswerFilterFields {}
