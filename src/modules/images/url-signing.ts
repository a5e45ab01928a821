import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring image URLs: the signature is the capability, so a browser's
 * `<img src>` works with no headers. HMAC-SHA256 over (image id, variant,
 * expiry) keyed by URL_SIGNING_SECRET (or the generated one): changing any of
 * the three, or the signature, makes the URL worthless.
 */

/** What a signed URL grants: one variant of one image until `expires` (Unix seconds). */
export interface UrlGrant {
  imageId: string;
  /** "original", or "thumbnail:<size>" (see image-urls.ts). */
  variant: string;
  expires: number;
}

/** `beyond-ttl`: genuine, but expiring later than IMAGE_URL_TTL_SECONDS from now (the TTL was lowered, or the secret leaked). */
export type GrantCheck = 'valid' | 'invalid' | 'expired' | 'beyond-ttl';

/** How far a replica's clock may run behind the minting replica's without its URLs reading as beyond the TTL. */
const CLOCK_SKEW_SECONDS = 60;

/** base64url HMAC-SHA256 of the grant; a JSON array keeps the parts from running into each other. */
export function signGrant(secret: string, grant: UrlGrant): string {
  return createHmac('sha256', secret).update(JSON.stringify([grant.imageId, grant.variant, grant.expires])).digest('base64url');
}

export class UrlSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Expiry is rounded down to a bucket of a quarter of the TTL, so the same
   * image and variant give the same URL for that long and browsers can cache
   * it; a URL therefore lives between 3/4 of the TTL and the TTL, never longer.
   */
  grant(imageId: string, variant: string): UrlGrant & { signature: string } {
    const bucket = Math.max(1, Math.floor(this.ttlSeconds / 4));
    const expires = Math.floor((this.now() + this.ttlSeconds) / bucket) * bucket;
    const grant = { imageId, variant, expires };
    return { ...grant, signature: signGrant(this.secret, grant) };
  }

  /**
   * The signature is checked first and in constant time; only a genuine URL
   * learns that it expired. A genuine expiry further away than the TTL is
   * refused too: no URL outlives IMAGE_URL_TTL_SECONDS, whoever signed it.
   */
  check(grant: UrlGrant, signature: string): GrantCheck {
    const expected = Buffer.from(signGrant(this.secret, grant));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    const now = this.now();
    if (grant.expires <= now) return 'expired';
    return grant.expires > now + this.ttlSeconds + CLOCK_SKEW_SECONDS ? 'beyond-ttl' : 'valid';
  }

  /** Whole seconds until `expires`, for Cache-Control's max-age. */
  secondsLeft(expires: number): number {
    return Math.max(0, expires - this.now());
  }

  private now(): number {
    return Math.floor(this.nowMs() / 1000);
  }
}
