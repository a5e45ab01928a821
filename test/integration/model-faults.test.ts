import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CaptionImageDocument, GetImageDocument, ImageInsightsDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { startGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { rm } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { UploadImageDocument } from '../generated/graphql.js';
import { expectRefusal, mintUrls } from '../support/image-urls.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.fake.reset();
  h.fake.setDefaultFault(null);
});

let counter = 0;
/** A new image per test so nothing is cached between cases. */
const freshImage = () => uploadNew(h.gateway.client, { format: 'png', width: 30 + (counter++ % 50), height: 30, color: `#${(0x100000 + counter * 997).toString(16).slice(-6)}` });

// Each endpoint fault's code, clean message, nothing stored and recovery: bad-input.test.ts ('endpoint' cases).
describe('endpoint failures', () => {
  it('fails every prompt of a packed call with the call’s code, and other images still succeed', async () => {
    const broken = await freshImage();
    const fine = await freshImage();
    h.fake.inject({ kind: 'status', status: 500 });
    const [a, b] = await Promise.all([
      h.gateway.client.request(ImageInsightsDocument, { id: broken.id, q1: 'A?', q2: 'B?', q3: 'C?' }),
      h.gateway.client.request(ImageInsightsDocument, { id: fine.id, q1: 'A?', q2: 'B?', q3: 'C?' }),
    ]);
    const failed = [a, b].find((r) => r.errors);
    const succeeded = [a, b].find((r) => !r.errors);
    // Every prompt of the failed call fails at its own path; the image and its other fields survive.
    // (The fault hits whichever image's call reaches the endpoint first.)
    expect(errorCodes(failed!)).toEqual(Array(4).fill('MODEL_UNAVAILABLE'));
    const failedId = failed!.data!.image!.id;
    expect([broken.id, fine.id]).toContain(failedId);
    expect(failed!.data!.image).toMatchObject({ caption: null, a1: null, a2: null, a3: null });
    expect(succeeded!.data!.image!.a3!.answer).toMatch(/ :: C\?$/);
    // One packed call per image; the failed one stored nothing.
    expect(h.fake.requests.map((r) => r.prompts.length)).toEqual([4, 4]);
    expect((await h.gateway.client.request(GetImageDocument, { id: failedId })).data!.image).toMatchObject({ captions: [], questions: [] });
  });
});

/** A PNG whose compressed pixels are damaged while every chunk checksum still matches: whole in structure, undecodable. */
async function undecodablePng(): Promise<Buffer> {
  const pixels = Buffer.alloc(60 * 40 * 3, 0).map((_, i) => (i * 7) & 255);
  const png = await sharp(pixels, { raw: { width: 60, height: 40, channels: 3 } }).png().toBuffer();
  const at = png.indexOf('IDAT', 8, 'latin1') - 4;
  const length = png.readUInt32BE(at);
  for (let i = at + 8 + Math.floor(length / 2); i < at + 8 + length - 4; i++) png[i] = png[i]! ^ 0x5a;
  png.writeUInt32BE(crc32(png.subarray(at + 4, at + 8 + length)), at + 8 + length);
  return png;
}

describe('an uploaded image whose pixels do not decode', () => {
  it('uploads (its structure is whole), then fails each field with BAD_USER_INPUT at first use, asks nothing upstream and caches nothing', async () => {
    const upload = await h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'x.png', bytes: await undecodablePng() } }]);
    expect(upload.errors).toBeUndefined();
    const id = upload.data!.uploadImage.id;
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await h.gateway.client.request(ImageInsightsDocument, { id, q1: 'A?', q2: 'B?', q3: 'C?' });
      expect(errorCodes(response)).toEqual(Array(4).fill('BAD_USER_INPUT'));
      expect(response.errors![0]!.message).toMatch(/corrupt: its data cannot be decoded\. Upload a whole copy/);
      expect(response.data!.image).toMatchObject({ id, caption: null, a1: null });
    }
    expect(h.fake.requests).toHaveLength(0);
    expect((await h.gateway.client.request(GetImageDocument, { id })).data!.image).toMatchObject({ captions: [], questions: [] });
    const { thumbnailUrl } = await mintUrls(h.gateway.client, id, 64);
    expect(await expectRefusal(thumbnailUrl, 400, 'BAD_USER_INPUT')).toMatch(/cannot be decoded, so it has no thumbnail/);
  });
});

describe('retries', () => {
  it('retries 429 (honouring Retry-After) and 5xx, then answers', async () => {
    const local = await startHarness({ env: { QWEN_MAX_RETRIES: '2' } });
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 40, height: 40 });
      local.fake.inject({ kind: 'status', status: 429, retryAfter: '0' }, { kind: 'status', status: 502 });
      const response = await local.gateway.client.request(CaptionImageDocument, { imageId: image.id });
      expect(response.errors).toBeUndefined();
      expect(local.fake.requests).toHaveLength(3);
    } finally {
      await local.close();
    }
  });

  it('does not retry a content refusal', async () => {
    const local = await startHarness({ env: { QWEN_MAX_RETRIES: '2' } });
    try {
      const image = await uploadNew(local.gateway.client, { format: 'png', width: 40, height: 40 });
      local.fake.inject({ kind: 'status', status: 400 });
      const response = await local.gateway.client.request(CaptionImageDocument, { imageId: image.id });
      expect(errorCodes(response)).toEqual(['MODEL_REJECTED']);
      expect(local.fake.requests).toHaveLength(1);
    } finally {
      await local.close();
    }
  });
});

describe('no model configured', () => {
  it('still starts, uploads and reads, and explains which variables to set', async () => {
    const gateway = await startGateway({ env: { QWEN_API_KEY: '', DASHSCOPE_API_KEY: '', QWEN_BASE_URL: '' } });
    try {
      const image = await uploadNew(gateway.client, { format: 'png', width: 40, height: 40 });
      const read = await gateway.client.request(GetImageDocument, { id: image.id });
      expect(read.data!.image!.id).toBe(image.id);
      const response = await gateway.client.request(CaptionImageDocument, { imageId: image.id });
      expect(errorCodes(response)).toEqual(['MODEL_NOT_CONFIGURED']);
      expect(response.errors![0]!.message).toMatch(/QWEN_API_KEY/);
      expect(response.errors![0]!.message).toMatch(/QWEN_BASE_URL/);
    } finally {
      await gateway.stop();
      await rm(gateway.dataDir, { recursive: true, force: true });
    }
  });
});
