import { Field, InputType, ObjectType } from 'type-graphql';
import { answerFields, type Served } from '../../../answers/answer.mappers.js';
import { AnswerFields } from '../../../answers/answer-fields.type.js';
import { AnswerFilterFields } from '../../../answers/filters.input.js';
import type { AnswerRecord } from '../../../answers/result.service.js';
import { ModerationCategory } from './moderation-category.enum.js';
import type { ModerationVerdict } from './moderation.format.js';

@ObjectType({ description: 'A moderation verdict on an image (docs/vision.md, "Moderation"). Cached like answers.' })
export class Moderation extends AnswerFields {
  @Field(() => Boolean, { description: 'True when the image shows content in any category.' })
  flagged!: boolean;

  @Field(() => [ModerationCategory], { description: 'The categories found, in the enum order; [] when none.' })
  categories!: ModerationCategory[];

  @Field(() => String, { description: "The model's reason for the verdict, in a sentence or two." })
  rationale!: string;
}

@InputType()
export class ModerationFilter extends AnswerFilterFields {
  @Field(() => Boolean, { nullable: true, description: 'Only flagged (true) or only clean (false) verdicts.' })
  flagged?: boolean | null;

  @Field(() => ModerationCategory, { nullable: true, description: 'Only verdicts naming this category.' })
  category?: ModerationCategory | null;
}

/** A stored verdict (JSON validated before it was stored) as its GraphQL type. */
export function toModeration(row: AnswerRecord, served?: Served): Moderation {
  const verdict = JSON.parse(row.text) as ModerationVerdict;
  return { ...answerFields(row, served), flagged: verdict.flagged, categories: verdict.categories, rationale: verdict.rationale };
}
