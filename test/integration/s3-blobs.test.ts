import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, DeleteImageDocument, UploadImageDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { filesUnder, sha256, uploadNew } from '../support/flows.js';
import { makeImage } from '../support/images.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { expectRefusal, fetchImage, mintUrls, originOf, thumbnailsRendered } from '../support/image-urls.js';
import { startS3, type TestS3 } from '../support/s3.js';

// S3_BUCKET set: the gateway keeps originals and thumbnails in an S3-compatible bucket (s3rver here),
// end to end over HTTP: uploads, answers, image URLs, thumbnails, repair by re-upload, deletion, /readyz.

let s3: TestS3;
let h: Harness;
const PREFIX = 'gateway-a/';
const ask = (imageId: string, question: string) => h.gateway.client.request(AskQuestionDocument, { imageId, question });
const upload = (bytes: Buffer, name = 'again.png') => h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name, bytes } }]);
const readyz = async () => {
  const response = await fetch(`${originOf(h.gateway)}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; reason?: string; checks?: Record<string, string> } };
};

beforeAll(async () => {
  s3 = await startS3();
  s3.useCredentialsHere();
  h = await startHarness({ env: { ...s3.env, S3_PREFIX: PREFIX } });
});
afterAll(async () => {
  await h?.close();
  await s3?.close();
});

describe('blobs in S3', () => {
  it('stores an upload as an object under its sha256 (nothing under DATA_DIR/blobs) and answers from it', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 48, height: 32, color: '#123456' });
    expect(await s3.keys()).toContain(`${PREFIX}${image.sha256}`);
    expect(await s3.object(`${PREFIX}${image.sha256}`)).toEqual(image.bytes);
    expect(await filesUnder(`${h.gateway.dataDir}/blobs`)).toEqual([]);
    const asked = await ask(image.id, 'From S3?');
    expect(asked.errors).toBeUndefined();
    expect(asked.data!.askQuestion.answer).toBe('48x32 #123456 :: From S3?');
  });

  it('serves image URLs (whole and by range) and thumbnails, rendering each thumbnail once into the bucket', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'jpeg', width: 300, height: 200 });
    const { url, thumbnailUrl } = await mintUrls(h.gateway.client, image.id, 64);
    const whole = await fetchImage(url);
    expect(whole.response.status).toBe(200);
    expect(whole.body.equals(image.bytes)).toBe(true);
    const part = await fetchImage(url, { headers: { Range: 'bytes=10-19' } });
    expect(part.response.status).toBe(206);
    expect(part.body.equals(image.bytes.subarray(10, 20))).toBe(true);

    const before = await thumbnailsRendered(h.gateway);
    const thumbnail = await fetchImage(thumbnailUrl);
    expect(thumbnail.response.status).toBe(200);
    expect(await sharp(thumbnail.body).metadata()).toMatchObject({ format: 'webp', width: 64, height: 43 });
    expect(await s3.object(`${PREFIX}thumbnails/${image.sha256}-64.webp`)).toEqual(thumbnail.body);
    const again = await fetchImage(thumbnailUrl);
    expect(again.body.equals(thumbnail.body)).toBe(true);
    expect(await thumbnailsRendered(h.gateway)).toBe(before + 1);
  });

  it('streams a large upload up as a multipart upload, byte for byte', async () => {
    // Noise does not compress: a PNG of about 10 MB, more than one part.
    const noise = Buffer.alloc(1800 * 1800 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const bytes = await sharp(noise, { raw: { width: 1800, height: 1800, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    expect(bytes.length).toBeGreaterThan(9 * 1024 * 1024);
    const response = await upload(bytes, 'large.png');
    expect(response.errors).toBeUndefined();
    expect(response.data!.uploadImage).toMatchObject({ sha256: sha256(bytes), width: 1800, height: 1800 });
    expect(sha256(await s3.object(`${PREFIX}${sha256(bytes)}`))).toBe(sha256(bytes));
  });

  it('answers BLOB_MISSING for an object lost from the bucket, and uploading the same bytes again writes it back', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 40, height: 40, color: '#a0b0c0' });
    await s3.remove(`${PREFIX}${image.sha256}`);
    h.fake.reset();
    expect(errorCodes(await ask(image.id, 'Still there?'))).toEqual(['BLOB_MISSING']);
    expect(h.fake.requests).toHaveLength(0);
    await expectRefusal((await mintUrls(h.gateway.client, image.id)).url, 500, 'BLOB_MISSING');

    const again = await upload(image.bytes);
    expect(again.data!.uploadImage.id).toBe(image.id);
    expect(await s3.object(`${PREFIX}${image.sha256}`)).toEqual(image.bytes);
    expect((await ask(image.id, 'Still there?')).data!.askQuestion.answer).toBe('40x40 #a0b0c0 :: Still there?');
  });

  it('removes the object and its thumbnails when the image is deleted', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 60, height: 30, color: '#0f0f0f' });
    expect((await fetchImage((await mintUrls(h.gateway.client, image.id, 32)).thumbnailUrl)).response.status).toBe(200);
    expect((await s3.keys()).filter((key) => key.includes(image.sha256))).toHaveLength(2);
    const deleted = await h.gateway.client.request(DeleteImageDocument, { id: image.id });
    expect(deleted.errors).toBeUndefined();
    expect((await s3.keys()).filter((key) => key.includes(image.sha256))).toEqual([]);
  });

  it('reports S3 in /readyz: 503 naming the bucket while it is down, ready again when it is back', async () => {
    expect(await readyz()).toMatchObject({ status: 200, body: { status: 'ready', checks: { storage: 'ok', database: 'ok', s3: 'ok' } } });
    await s3.pause();
    try {
      const down = await readyz();
      expect(down.status).toBe(503);
      expect(down.body.reason).toContain(`s3: bucket "${s3.bucket}" at ${s3.endpoint} did not answer`);
      expect(down.body.checks).toMatchObject({ database: 'ok', storage: 'ok' });
      // An upload while S3 is down stores nothing and says what failed.
      const refused = await upload(await makeImage({ format: 'png', width: 20, height: 20, color: '#777701' }));
      expect(errorCodes(refused)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(refused.errors![0]!.message).toContain(`blob storage (S3 bucket "${s3.bucket}"`);
    } finally {
      await s3.resume();
    }
    expect((await readyz()).status).toBe(200);
  });
});
