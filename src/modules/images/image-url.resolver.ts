import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { DEFAULT_THUMBNAIL_SIZE } from './image-urls.js';
import type { Context } from '../../context.js';
import { Image } from './image.type.js';

/**
 * Image.url and Image.thumbnailUrl: signed, expiring URLs a browser can put in
 * `<img src>` with no headers. Minted only here, where the root is an image
 * the caller can read, so no one gets a URL for another tenant's image.
 */
@Resolver(() => Image)
export class ImageUrlResolver {
  @FieldResolver(() => String, { description: 'The original bytes, by a signed URL that expires (IMAGE_URL_TTL_SECONDS); no headers needed.' })
  url(@Root() image: Image, @Ctx() ctx: Context): string {
    return ctx.services.imageUrls.original(ctx.baseUrl, image.id);
  }

  @FieldResolver(() => String, {
    description:
      'A WebP thumbnail, EXIF orientation applied, by a signed URL that expires. `size` (16 to 1024) is rounded up to the next of 64, 128, 256, 512 and 1024, and the URL names that size: its longest side is that size, never more than the original one (never enlarged).',
  })
  thumbnailUrl(
    @Root() image: Image,
    @Ctx() ctx: Context,
    @Arg('size', () => Int, { nullable: true, defaultValue: DEFAULT_THUMBNAIL_SIZE }) size: number | null,
  ): string {
    return ctx.services.imageUrls.thumbnail(ctx.baseUrl, image.id, size ?? DEFAULT_THUMBNAIL_SIZE);
  }
}
