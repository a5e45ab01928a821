import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetImageUrlsDocument } from '../generated/graphql.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { sha256, uploadNew } from '../support/flows.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { expectRefusal, fetchImage, mintUrls, onOrigin, originOf, signByHand, thumbnailsRendered } from '../support/image-urls.js';

// Image.url / Image.thumbnailUrl over real HTTP, fetched as `<img src>` does:
// no headers, the signature is the capability (ARCHITECTURE.md, "Browser clients").

const SECRET = 'a-url-signing-secret-for-tests-0123456789';
const now = () => Math.floor(Date.now() / 1000);

describe('signed image URLs', () => {
  let h: Harness;
  let origin: string;
  /** Stored 300×200 pixels with EXIF orientation 6: displayed 200×300. */
  let photo: Awaited<ReturnType<typeof uploadNew>>;
  let other: Awaited<ReturnType<typeof uploadNew>>;

  beforeAll(async () => {
    h = await startHarness({ env: { URL_SIGNING_SECRET: SECRET } });
    origin = originOf(h.gateway);
    photo = await uploadNew(h.gateway.client, { format: 'jpeg', width: 300, height: 200, exifOrientation: 6 });
    other = await uploadNew(h.gateway.client, { format: 'png', width: 40, height: 30 });
  });
  afterAll(() => h.close());

  it('serves the exact uploaded bytes to a GET with no headers, with caching and safety headers', async () => {
    const { url } = await mintUrls(h.gateway.client, photo.id);
    expect(url.startsWith(`${origin}/images/${photo.id}?`)).toBe(true);
    const { response, body } = await fetchImage(url);
    expect(response.status).toBe(200);
    expect(body.equals(photo.bytes)).toBe(true);
    const headers = Object.fromEntries(response.headers);
    expect(headers).toMatchObject({
      'content-type': 'image/jpeg',
      'content-length': String(photo.bytes.length),
      etag: `"${photo.sha256}"`,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'cross-origin',
    });
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(headers['cache-control']!)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(3600);

    const head = await fetchImage(url, { method: 'HEAD' });
    expect(head.response.status).toBe(200);
    expect(head.response.headers.get('content-length')).toBe(String(photo.bytes.length));
    expect(head.body.length).toBe(0);
  });

  it('serves WebP thumbnails no larger than size, EXIF orientation applied, never enlarged', async () => {
    const urls = await mintUrls(h.gateway.client, photo.id, 64);
    for (const [url, width, height, side] of [
      [urls.thumbnailUrl, 43, 64, 64],
      [urls.defaultThumbnail, 171, 256, 256],
      [(await mintUrls(h.gateway.client, photo.id, 1024)).thumbnailUrl, 200, 300, 300],
    ] as const) {
      const { response, body } = await fetchImage(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/webp');
      expect(response.headers.get('content-length')).toBe(String(body.length));
      expect(response.headers.get('etag')).toBe(`"${photo.sha256}-w${side}"`);
      const meta = await sharp(body).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height, orientation: meta.orientation }).toEqual({ format: 'webp', width, height, orientation: undefined });
    }
  });

  it('renders a thumbnail once: concurrent first requests share it, later ones do no image work', async () => {
    const { thumbnailUrl } = await mintUrls(h.gateway.client, photo.id, 100);
    const before = await thumbnailsRendered(h.gateway);
    const first = await Promise.all([1, 2, 3, 4].map(() => fetchImage(thumbnailUrl)));
    expect(first.map((r) => r.response.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(first.map((r) => sha256(r.body))).size).toBe(1);
    expect(await thumbnailsRendered(h.gateway)).toBe(before + 1);
    const again = await fetchImage(thumbnailUrl);
    expect(again.body.equals(first[0]!.body)).toBe(true);
    expect(await thumbnailsRendered(h.gateway)).toBe(before + 1);
  });

  it('rounds thumbnail sizes up to 64, 128, 256, 512 or 1024: the URL names that size, and an image has at most five thumbnails', async () => {
    const large = await uploadNew(h.gateway.client, { format: 'png', width: 1100, height: 900 });
    const asked = [16, 17, 63, 64, 65, 100, 129, 200, 256, 257, 300, 511, 513, 700, 1000, 1023, 1024];
    const served = [64, 64, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 1024, 1024, 1024, 1024, 1024];
    const urls = await Promise.all(asked.map(async (size) => (await mintUrls(h.gateway.client, large.id, size)).thumbnailUrl));
    expect(urls.map((url) => Number(new URL(url).searchParams.get('size')))).toEqual(served);
    const before = await thumbnailsRendered(h.gateway);
    for (const [i, url] of urls.entries()) {
      const { response, body } = await fetchImage(url);
      expect(response.headers.get('etag')).toBe(`"${large.sha256}-w${served[i]}"`);
      const { width, height } = await sharp(body).metadata();
      expect(Math.max(width, height)).toBe(served[i]);
    }
    expect(await thumbnailsRendered(h.gateway)).toBe(before + 5);
    // A URL signed for an unrounded size (minted before sizes were rounded) is served the rounded thumbnail.
    const unrounded = await fetchImage(signByHand(origin, SECRET, large.id, now() + 600, 100));
    expect(unrounded.response.headers.get('etag')).toBe(`"${large.sha256}-w128"`);
    expect(await thumbnailsRendered(h.gateway)).toBe(before + 5);
  });

  it('answers 403 FORBIDDEN to a tampered or unsigned URL, before looking the image up', async () => {
    const { url, thumbnailUrl } = await mintUrls(h.gateway.client, photo.id, 64);
    const sig = new URL(url).searchParams.get('sig')!;
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const exp = new URL(url).searchParams.get('exp')!;
    for (const tampered of [
      url.replace(`sig=${sig}`, `sig=${flipped}`),
      url.replace(`exp=${exp}`, `exp=${Number(exp) + 1}`),
      url.replace(`&sig=${sig}`, ''),
      url.replace(photo.id, other.id),
      url.replace(photo.id, randomUUID()), // an unknown id with a bad signature is not told apart: no probing
      thumbnailUrl.replace('size=64', 'size=65'),
      thumbnailUrl.replace('/thumbnail?size=64&', '?'), // a thumbnail's signature does not open the original
    ]) {
      expect(await expectRefusal(tampered, 403, 'FORBIDDEN')).toMatch(/not valid/);
    }
  });

  it('answers 403 FORBIDDEN to an expired URL', async () => {
    expect(await expectRefusal(signByHand(origin, SECRET, photo.id, now() - 1), 403, 'FORBIDDEN')).toMatch(/expired/);
    expect(await expectRefusal(signByHand(origin, SECRET, photo.id, now() - 1, 64), 403, 'FORBIDDEN')).toMatch(/expired/);
  });

  it('answers 404 NOT_FOUND to a valid signature for an unknown image', async () => {
    const id = randomUUID();
    await expectRefusal(signByHand(origin, SECRET, id, now() + 600), 404, 'NOT_FOUND');
    await expectRefusal(signByHand(origin, SECRET, id, now() + 600, 64), 404, 'NOT_FOUND');
  });

  it('answers 304 to If-None-Match holding the ETag, in a list, or *', async () => {
    const { url, thumbnailUrl } = await mintUrls(h.gateway.client, photo.id, 64);
    for (const [target, etag] of [
      [url, `"${photo.sha256}"`],
      [thumbnailUrl, `"${photo.sha256}-w64"`],
    ] as const) {
      for (const condition of [etag, `"elsewhere", ${etag}`, '*']) {
        const { response, body } = await fetchImage(target, { headers: { 'if-none-match': condition } });
        expect(response.status).toBe(304);
        expect(response.headers.get('etag')).toBe(etag);
        expect(body.length).toBe(0);
      }
      expect((await fetchImage(target, { headers: { 'if-none-match': '"elsewhere"' } })).response.status).toBe(200);
    }
  });

  it('serves a single byte range with 206 and refuses an unsatisfiable one with 416', async () => {
    const { url } = await mintUrls(h.gateway.client, photo.id);
    const size = photo.bytes.length;
    const partial = await fetchImage(url, { headers: { range: 'bytes=0-99' } });
    expect(partial.response.status).toBe(206);
    expect(partial.response.headers.get('content-range')).toBe(`bytes 0-99/${size}`);
    expect(partial.response.headers.get('content-length')).toBe('100');
    expect(partial.body.equals(photo.bytes.subarray(0, 100))).toBe(true);

    const tail = await fetchImage(url, { headers: { range: 'bytes=-10' } });
    expect(tail.response.status).toBe(206);
    expect(tail.body.equals(photo.bytes.subarray(size - 10))).toBe(true);

    const beyond = await fetchImage(url, { headers: { range: `bytes=${size}-` } });
    expect(beyond.response.status).toBe(416);
    expect(beyond.response.headers.get('content-range')).toBe(`bytes */${size}`);
  });

  it('refuses thumbnail sizes outside 16..1024 with BAD_USER_INPUT', async () => {
    for (const size of [15, 1025]) {
      expect(errorCodes(await h.gateway.client.request(GetImageUrlsDocument, { id: photo.id, size }))).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('signed image URLs with a generated secret', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('keep working across a restart, and the stored thumbnail is not rendered again', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 120, height: 80 });
    const { url, thumbnailUrl } = await mintUrls(h.gateway.client, image.id, 32);
    expect((await fetchImage(thumbnailUrl)).response.status).toBe(200);
    expect(await thumbnailsRendered(h.gateway)).toBe(1);

    const restarted = await restartGateway(h);
    const original = await fetchImage(onOrigin(url, originOf(restarted)));
    expect(original.response.status).toBe(200);
    expect(original.body.equals(image.bytes)).toBe(true);
    expect((await fetchImage(onOrigin(thumbnailUrl, originOf(restarted)))).response.status).toBe(200);
    expect(await thumbnailsRendered(restarted)).toBe(0);
  });

  it('start with PUBLIC_URL when it is set', async () => {
    const publicUrl = 'https://gateway.example.com/qwen';
    const gateway = await restartGateway(h, { PUBLIC_URL: publicUrl });
    const image = await uploadNew(gateway.client, { format: 'png', width: 20, height: 20 });
    const { url, thumbnailUrl } = await mintUrls(gateway.client, image.id);
    expect(url.startsWith(`${publicUrl}/images/${image.id}?`)).toBe(true);
    expect(thumbnailUrl.startsWith(`${publicUrl}/images/${image.id}/thumbnail?`)).toBe(true);
    // What the proxy at PUBLIC_URL forwards to the gateway:
    const forwarded = `${originOf(gateway)}${url.slice(publicUrl.length)}`;
    expect((await fetchImage(forwarded)).body.equals(image.bytes)).toBe(true);
  });
});

describe('signed image URLs across tenants', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('are minted only for images the caller can read, and then need no key', async () => {
    const keys = h.gateway.app.services.keys;
    const alice = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${(await keys.create({ tenant: 'alice' })).key}` });
    const bob = new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${(await keys.create({ tenant: 'bob' })).key}` });
    const image = await uploadNew(alice, { format: 'png', width: 30, height: 30 });

    const asBob = await bob.request(GetImageUrlsDocument, { id: image.id });
    expect(asBob.data?.image).toBeNull();
    expect(JSON.stringify(asBob)).not.toContain('/images/');

    const { url } = await mintUrls(alice, image.id);
    const { response, body } = await fetchImage(url);
    expect(response.status).toBe(200);
    expect(body.equals(image.bytes)).toBe(true);
  });
});
