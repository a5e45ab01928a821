import type { Readable } from 'node:stream';
import { GatewayError, notFound } from '../../platform/errors.js';
import { blobMissing, type BlobKey, type BlobStore, type ByteRange } from '../../platform/blob-storage/blob-store.js';
import type { ImageRecord, ImageRepository } from './image.repository.js';
import { ORIGINAL_VARIANT, thumbnailSize, thumbnailVariant } from './image-urls.js';
import type { Thumbnails } from './thumbnails.js';
import type { GrantCheck, UrlSigner } from './url-signing.js';

/**
 * What a signed image URL delivers. The signature is checked before anything
 * is looked up, so ids cannot be probed; the image is then found in whichever
 * tenant holds it (the signature, minted only for a caller who could read it,
 * is the capability), and the blob to send is named: the original, or its
 * thumbnail, made once.
 */

/** The URL's `exp` and `sig` query values, unchecked. */
export interface SignedParams {
  exp: unknown;
  sig: unknown;
}

export interface Delivery {
  key: BlobKey;
  mimeType: string;
  byteSize: number;
  /** A strong validator: the content's sha256, plus the size for thumbnails. */
  etag: string;
  /** Until the URL expires: how long a browser may keep the response. */
  maxAgeSeconds: number;
}

const EXPIRY = /^[1-9][0-9]{0,14}$/;

const REFUSALS: Record<Exclude<GrantCheck, 'valid'>, string> = {
  expired: 'This image URL has expired. Query Image.url or Image.thumbnailUrl again for a fresh one.',
  invalid: 'This image URL is not valid (bad or missing signature). Use the URL exactly as Image.url or Image.thumbnailUrl returned it.',
  'beyond-ttl': 'This image URL expires later than IMAGE_URL_TTL_SECONDS allows. Query Image.url or Image.thumbnailUrl again for a fresh one.',
};

export class ImageDelivery {
  constructor(
    private readonly signer: UrlSigner,
    private readonly images: ImageRepository,
    private readonly blobs: BlobStore,
    private readonly thumbnails: Thumbnails,
  ) {}

  async original(imageId: string, signed: SignedParams): Promise<Delivery> {
    const maxAgeSeconds = this.authorize(imageId, ORIGINAL_VARIANT, signed);
    const image = await this.find(imageId);
    if ((await this.blobs.size(image.sha256)) === null) throw blobMissing(image.sha256);
    // The size stored with the image, not the blob's: ranges are cut from what the bytes must be, and
    // `open` refuses bytes that are not those (a blob cut short included).
    return { key: image.sha256, mimeType: image.mimeType, byteSize: image.byteSize, etag: `"${image.sha256}"`, maxAgeSeconds };
  }

  async thumbnail(imageId: string, size: unknown, signed: SignedParams): Promise<Delivery> {
    const sizeText = typeof size === 'string' ? size : '';
    const maxAgeSeconds = this.authorize(imageId, thumbnailVariant(sizeText), signed);
    const image = await this.find(imageId);
    // Rounded like a minted URL's (one signed before sizes were rounded is served too), and never enlarged:
    // every size above the original's longest side is one and the same blob.
    const side = Math.min(thumbnailSize(Number(sizeText)), Math.max(image.width, image.height));
    const { key, byteSize } = await this.thumbnails.ensure(image.sha256, side);
    return { key, mimeType: 'image/webp', byteSize, etag: `"${image.sha256}-w${side}"`, maxAgeSeconds };
  }

  /** The bytes of a delivery, or of one range of them; BLOB_MISSING if they vanished meanwhile or (originals) no longer hash to their key. */
  open(delivery: Delivery, range?: ByteRange): Promise<Readable> {
    return this.blobs.openRead(delivery.key, range);
  }

  /** FORBIDDEN unless the URL was signed for exactly this image and variant and has not expired; else its seconds left. */
  private authorize(imageId: string, variant: string, { exp, sig }: SignedParams): number {
    const expires = typeof exp === 'string' && EXPIRY.test(exp) ? Number(exp) : undefined;
    const check = expires !== undefined && typeof sig === 'string' ? this.signer.check({ imageId, variant, expires }, sig) : 'invalid';
    if (check !== 'valid') throw new GatewayError('FORBIDDEN', REFUSALS[check]);
    return this.signer.secondsLeft(expires!);
  }

  private async find(imageId: string): Promise<ImageRecord> {
    const image = await this.images.findForSignedUrl(imageId);
    if (!image) throw notFound('image', imageId);
    return image;
  }
}
