import { Field, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../../platform/graphql/scalars.js';

@ObjectType({ description: 'An uploaded image, content-addressed: the same bytes are one Image.' })
export class Image {
  @Field(() => ID)
  id!: string;

  /** Not exposed: a caller only ever sees their own tenant's images. */
  tenant!: string;

  @Field(() => String)
  sha256!: string;

  @Field(() => String)
  mimeType!: string;

  @Field(() => Int, { description: 'Display width in pixels, EXIF orientation applied.' })
  width!: number;

  @Field(() => Int, { description: 'Display height in pixels, EXIF orientation applied.' })
  height!: number;

  @Field(() => Int)
  byteSize!: number;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}
