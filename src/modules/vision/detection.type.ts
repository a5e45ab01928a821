import { Field, Int, ObjectType } from 'type-graphql';
import { AnswerFields } from '../answers/answer-fields.type.js';

@ObjectType({ description: 'A rectangle in pixels of the stored image as displayed (EXIF orientation applied); x, y is its top-left corner.' })
export class Box {
  @Field(() => Int)
  x!: number;

  @Field(() => Int)
  y!: number;

  @Field(() => Int)
  width!: number;

  @Field(() => Int)
  height!: number;
}

@ObjectType()
export class DetectedObject {
  @Field(() => String)
  label!: string;

  @Field(() => Box)
  box!: Box;
}

@ObjectType({ description: 'Objects the model located in an image (docs/vision.md, "Object detection"). Cached like answers.' })
export class Detection extends AnswerFields {
  @Field(() => [DetectedObject], { description: 'Each instance found; [] when none.' })
  objects!: DetectedObject[];
}
