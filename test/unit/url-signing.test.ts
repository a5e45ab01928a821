import { describe, expect, it } from 'vitest';
import { signGrant, UrlSigner } from '../../src/modules/images/url-signing.js';

// The signature binds image id, variant and expiry; the expiry is bucketed so
// URLs repeat for a while (cacheable) yet never outlive the TTL.

const SECRET = 'unit-test-secret-unit-test-secret-0123';
const TTL = 3600;

/** A signer whose clock the test sets (milliseconds). */
function signerAt(startMs: number) {
  const clock = { ms: startMs };
  return { clock, signer: new UrlSigner(SECRET, TTL, () => clock.ms) };
}

describe('UrlSigner', () => {
  const { signer } = signerAt(1_700_000_000_000);
  const { signature, ...grant } = signer.grant('img-1', 'thumbnail:64');

  it('accepts its own grant', () => {
    expect(signer.check(grant, signature)).toBe('valid');
  });

  it.each([
    ['the image id', { ...grant, imageId: 'img-2' }],
    ['the variant', { ...grant, variant: 'thumbnail:65' }],
    ['the variant (original)', { ...grant, variant: 'original' }],
    ['the expiry', { ...grant, expires: grant.expires + 1 }],
  ])('refuses a URL whose %s was changed', (_part, tampered) => {
    expect(signer.check(tampered, signature)).toBe('invalid');
  });

  it('refuses a changed, truncated or foreign signature', () => {
    expect(signer.check(grant, `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`)).toBe('invalid');
    expect(signer.check(grant, signature.slice(0, -1))).toBe('invalid');
    expect(signer.check(grant, signGrant('another-secret-another-secret-0123456', grant))).toBe('invalid');
  });

  it('keeps the parts apart: moving text between id and variant changes the signature', () => {
    expect(signGrant(SECRET, { imageId: 'a', variant: 'bc', expires: 1 })).not.toBe(signGrant(SECRET, { imageId: 'ab', variant: 'c', expires: 1 }));
  });

  it('mints the same URL within a quarter of the TTL, living between 3/4 of the TTL and the TTL', () => {
    // A moment whose expiry (now + TTL) falls exactly on a bucket boundary.
    const bucketStartMs = (1_700_000_100 - ((1_700_000_100 + TTL) % (TTL / 4))) * 1000;
    const { clock, signer: clocked } = signerAt(bucketStartMs);
    const first = clocked.grant('img-1', 'original');
    expect(first.expires - bucketStartMs / 1000).toBe(TTL);
    clock.ms = bucketStartMs + (TTL / 4) * 1000 - 1;
    expect(clocked.grant('img-1', 'original')).toEqual(first);
    expect(first.expires - clock.ms / 1000).toBeGreaterThan((TTL * 3) / 4);
    clock.ms = bucketStartMs + (TTL / 4) * 1000;
    expect(clocked.grant('img-1', 'original').expires).toBe(first.expires + TTL / 4);
  });

  it('reports expiry only for a genuine signature, and counts down the seconds left', () => {
    const { clock, signer: clocked } = signerAt(1_700_000_000_000);
    const { signature: sig, ...g } = clocked.grant('img-1', 'original');
    clock.ms = (g.expires - 10) * 1000;
    expect(clocked.secondsLeft(g.expires)).toBe(10);
    clock.ms = g.expires * 1000;
    expect(clocked.check(g, sig)).toBe('expired');
    expect(clocked.check({ ...g, imageId: 'img-2' }, sig)).toBe('invalid');
  });

  it('refuses a genuine signature whose expiry lies beyond the TTL (lowered since, or signed with a leaked secret)', () => {
    const { signer: clocked } = signerAt(1_700_000_000_000);
    const now = 1_700_000_000;
    const farFuture = { imageId: 'img-1', variant: 'original', expires: now + 10 * 365 * 24 * 3600 };
    expect(clocked.check(farFuture, signGrant(SECRET, farFuture))).toBe('beyond-ttl');
    // A minute of clock skew between replicas is tolerated; more is not.
    const skewed = { ...farFuture, expires: now + TTL + 60 };
    expect(clocked.check(skewed, signGrant(SECRET, skewed))).toBe('valid');
    const beyond = { ...farFuture, expires: now + TTL + 61 };
    expect(clocked.check(beyond, signGrant(SECRET, beyond))).toBe('beyond-ttl');
  });
});
