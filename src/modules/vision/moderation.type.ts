import { Field, ObjectType } from 'type-graphql';
import { AnswerFields } from '../answers/answer-fields.type.js';
import { ModerationCategory } from './moderation-category.enum.js';

@ObjectType({ description: 'A moderation verdict on an image (docs/vision.md, "Moderation"). Cached like answers.' })
export class Moderation extends AnswerFields {
  @Field(() => Boolean, { description: 'True when the image shows content in any category.' })
  flagged!: boolean;

  @Field(() => [ModerationCategory], { description: 'The categories found, in the enum order; [] when none.' })
  categories!: ModerationCategory[];

  @Field(() => String, { description: "The model's reason for the verdict, in a sentence or two." })
  rationale!: string;
}
