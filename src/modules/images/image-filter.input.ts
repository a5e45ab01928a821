import { Field, InputType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';

/** Narrows `images` (and counts with it): every field given must hold. */
@InputType()
export class ImageFilter {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Only images stored at or after this time.' })
  createdAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only images stored before this time.' })
  createdBefore?: Date | null;

  @Field(() => String, { nullable: true, description: 'Only images of this type, e.g. "image/png".' })
  mimeType?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only images with at least one stored caption (true), or with none (false).' })
  hasCaption?: boolean | null;
}
