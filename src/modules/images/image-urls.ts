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
const MAX_THUMBNAIL = 1024;

/** The longest side a thumbnail may be asked for. */
export function checkThumbnailSize(size: number): number {
  if (!Number.isInteger(size) || size < MIN_THUMBNAIL || size > MAX_THUMBNAIL) {
    throw badInput(`size must be a whole number of pixels from ${MIN_THUMBNAIL} to ${MAX_THUMBNAIL}; got ${size}.`);
  }
  return size;
}

export class ImageUrls {
  constructor(private readonly signer: UrlSigner) {}

  /** `baseUrl`: PUBLIC_URL or the request's own origin (e.g. "http://localhost:4000"), no trailing slash. */
  original(baseUrl: string, imageId: string): string {
    return this.mint(baseUrl, `/images/${encodeURIComponent(imageId)}`, imageId, ORIGINAL_VARIANT, {});
  }

  thumbnail(baseUrl: string, imageId: string, size: number): string {
    checkThumbnailSize(size);
    return this.mint(baseUrl, `/images/${encodeURIComponent(imageId)}/thumbnail`, imageId, thumbnailVariant(size), { size: String(size) });
  }

  private mint(baseUrl: string, path: string, imageId: string, variant: string, params: Record<string, string>): string {
    const { expires, signature } = this.signer.grant(imageId, variant);
    const query = new URLSearchParams({ ...params, exp: String(expires), sig: signature });
    return `${baseUrl}${path}?${query}`;
  }
}
