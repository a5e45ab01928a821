import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { answerFields, type Served } from '../../../answers/answer.mappers.js';
import { AnswerFields } from '../../../answers/answer-fields.type.js';
import { AnswerFilterFields } from '../../../answers/filters.input.js';
import type { AnswerRecord } from '../../../answers/result.service.js';
import type { Detected } from './detection.format.js';

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

@InputType()
export class DetectionFilter extends AnswerFilterFields {}

/** A stored detection (JSON validated before it was stored) as its GraphQL type. */
export function toDetection(row: AnswerRecord, served?: Served): Detection {
  const detected = JSON.parse(row.text) as Detected;
  return { ...answerFields(row, served), objects: detected.objects };
}
