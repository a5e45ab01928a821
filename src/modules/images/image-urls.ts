import { badInput } from '../../platform/errors.js';
import type { UrlSigner } from './url-signing.js';

/**
 * Mints the URLs of `Image.url` and `Image.thumbnailUrl`, and fixes what they
 * sign. Only Image field resolvers call it, and their root is an image the
 * caller can read: that is what keeps tenants apart, since the URL itself
 * needs no key.
 */

export const ORIGINAL_VARIANT = 'original';

/** `size` as it appears in the URL: the signature covers exactly that text. */
export const thumbnailVariant = (size: number | string) => `thumbnail:${size}`;

export const DEFAULT_THUMBNAIL_SIZE = 256;
const MIN_THUMBNAIL = 16;
/**
 * The longest sides thumbnails are rendered at. A size asked is rounded up to
 * the next one, so an image has at most this many thumbnails stored: any
 * reader could otherwise have one rendered and kept per pixel size.
 */
export const THUMBNAIL_SIZES = [64, 128, 256, 512, 1024] as const;

/** The thumbnail size served for `size` (16 to 1024): the next of THUMBNAIL_SIZES. */
export function thumbnailSize(size: number): number {
  const max = THUMBNAIL_SIZES.at(-1)!;
  if (!Number.isInteger(size) || size < MIN_THUMBNAIL || size > max) {
    throw badInput(`size must be a whole number of pixels from ${MIN_THUMBNAIL} to ${max}; got ${size}.`);
  }
  return THUMBNAIL_SIZES.find((step) => step >= size)!;
}

export class ImageUrls {
  constructor(private readonly signer: UrlSigner) {}

  /** `baseUrl`: PUBLIC_URL or the request's own origin (e.g. "http://localhost:4000"), no trailing slash. */
  original(baseUrl: string, imageId: string): string {
    return this.mint(baseUrl, `/images/${encodeURIComponent(imageId)}`, imageId, ORIGINAL_VARIANT, {});
  }

  /** The URL names (and signs) the rounded size: thumbnailSize. */
  thumbnail(baseUrl: string, imageId: string, size: number): string {
    const served = thumbnailSize(size);
    return this.mint(baseUrl, `/images/${encodeURIComponent(imageId)}/thumbnail`, imageId, thumbnailVariant(served), { size: String(served) });
  }

  private mint(baseUrl: string, path: string, imageId: string, variant: string, params: Record<string, string>): string {
    const { expires, signature } = this.signer.grant(imageId, variant);
    const query = new URLSearchParams({ ...params, exp: String(expires), sig: signature });
    return `${baseUrl}${path}?${query}`;
  }
}
