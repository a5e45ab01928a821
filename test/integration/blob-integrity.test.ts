import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, UploadImageDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { sha256, uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';
import { expectRefusal, fetchImage, mintUrls } from '../support/image-urls.js';
import { captureLogs, ERROR } from '../support/log-capture.js';

// Blobs lost or damaged under the gateway: never sent upstream, answered BLOB_MISSING and logged,
// and put back by uploading the same bytes again. Once an image was sent, its data URL (built from
// bytes checked against their sha256) is sent from memory without reading the blob again.

let h: Harness;
const logs = captureLogs();
const blobPath = (sha: string) => path.join(h.gateway.dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha);
const ask = (imageId: string, question: string) => h.gateway.client.request(AskQuestionDocument, { imageId, question });
const reupload = (bytes: Buffer) => h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'again.png', bytes } }]);

/** An upload whose background fingerprinting has read its blob: damage done after it is found only by what the test does next. */
async function uploadSettled(options: Parameters<typeof uploadNew>[1]) {
  const image = await uploadNew(h.gateway.client, options);
  await h.gateway.app.services.nearDuplicates.settled();
  return image;
}

/** Asking about the image is refused with BLOB_MISSING naming the fix, logged once, and nothing is sent upstream. */
async function expectRefusedAsLost(image: { id: string; sha256: string }, reason: 'missing' | 'damaged') {
  h.fake.reset();
  const asked = await ask(image.id, 'Which colour?');
  expect(errorCodes(asked)).toEqual(['BLOB_MISSING']);
  expect(asked.errors![0]!.message).toMatch(new RegExp(`${reason}.*Upload the same image again`));
  expect(h.fake.requests).toHaveLength(0);
  expect(logs.lines.filter((line) => line.level === ERROR && line.blob === image.sha256 && line.reason === reason)).toHaveLength(1);
}

beforeAll(async () => {
  h = await startHarness({ logger: logs.logger });
});
afterAll(() => h.close());

describe('a blob missing under its image', () => {
  it('answers BLOB_MISSING asking for a re-upload, logs it, and asks nothing upstream', async () => {
    const image = await uploadSettled({ format: 'png', width: 40, height: 30, color: '#112233' });
    await rm(blobPath(image.sha256));
    await expectRefusedAsLost(image, 'missing');
  });

  it('is put back by uploading the same bytes again, under the same image', async () => {
    const image = await uploadSettled({ format: 'png', width: 42, height: 30, color: '#445566' });
    await rm(blobPath(image.sha256));

    const again = await reupload(image.bytes);
    expect(again.errors).toBeUndefined();
    expect(again.data!.uploadImage.id).toBe(image.id);
    expect(await readFile(blobPath(image.sha256))).toEqual(image.bytes);
    const asked = await ask(image.id, 'Back again?');
    expect(asked.errors).toBeUndefined();
    expect(asked.data!.askQuestion.answer).toBe('42x30 #445566 :: Back again?');
  });
});

describe('a blob lost after its image was sent upstream', () => {
  it('is not read again while the image\'s data URL is cached: the bytes its sha256 names are sent from memory', async () => {
    const image = await uploadSettled({ format: 'png', width: 43, height: 30, color: '#778899' });
    expect((await ask(image.id, 'First?')).errors).toBeUndefined();
    await rm(blobPath(image.sha256));
    h.fake.reset();
    const again = await ask(image.id, 'Second?');
    expect(again.errors).toBeUndefined();
    expect(again.data!.askQuestion).toMatchObject({ answer: '43x30 #778899 :: Second?', cached: false });
    expect(h.fake.requests.map((r) => r.image!.sha256)).toEqual([image.sha256]);
    // The routes serve the stored file itself, so they still find it gone.
    await expectRefusal((await mintUrls(h.gateway.client, image.id)).url, 500, 'BLOB_MISSING');
  });
});

describe('a blob whose bytes were damaged', () => {
  const impostor = () => makeImage({ format: 'png', width: 44, height: 30, color: '#ff00ff' });
  it.each([
    ['emptied', '#208040', async () => Buffer.alloc(0)],
    ['cut in half', '#208041', async (bytes: Buffer) => bytes.subarray(0, bytes.length >> 1)],
    ['swapped for another valid image', '#208042', impostor],
  ])('(%s) is never sent upstream nor answered under the original hash, and a re-upload repairs it', async (_damage, color, damage) => {
    const image = await uploadSettled({ format: 'png', width: 44, height: 30, color });
    await writeFile(blobPath(image.sha256), await damage(image.bytes));
    await expectRefusedAsLost(image, 'damaged');

    // Nothing was cached from the damaged bytes: once repaired, the answer is about the real ones.
    h.fake.reset();
    expect((await reupload(image.bytes)).data!.uploadImage.id).toBe(image.id);
    expect(sha256(await readFile(blobPath(image.sha256)))).toBe(image.sha256);
    const repaired = await ask(image.id, 'Which colour?');
    expect(repaired.data!.askQuestion).toMatchObject({ answer: `44x30 ${color} :: Which colour?`, cached: false });
    expect(h.fake.requests.map((r) => r.image!.sha256)).toEqual([image.sha256]);
  });
});

describe('the image routes', () => {
  it('check a copy again once it changed: an original served whole and by range, then damaged in place, is refused', async () => {
    const image = await uploadSettled({ format: 'png', width: 48, height: 30, color: '#30a060' });
    const { url } = await mintUrls(h.gateway.client, image.id);
    expect((await fetchImage(url)).response.status).toBe(200);
    expect((await fetchImage(url, { headers: { range: 'bytes=0-9' } })).response.status).toBe(206);
    const damaged = Buffer.from(image.bytes);
    damaged[damaged.length >> 1] = damaged[damaged.length >> 1]! ^ 0xff; // same size, same file
    await writeFile(blobPath(image.sha256), damaged);
    expect((await fetchImage(url, { headers: { range: 'bytes=0-9' } })).response.status).toBe(500);
    expect(await expectRefusal(url, 500, 'BLOB_MISSING')).toMatch(/damaged/);
  });

  it.each([
    ['emptied', '#30a050', async () => Buffer.alloc(0)],
    ['cut in half', '#30a051', async (bytes: Buffer) => bytes.subarray(0, bytes.length >> 1)],
    ['swapped for another valid image', '#30a052', () => makeImage({ format: 'png', width: 46, height: 30, color: '#ff00ff' })],
  ])('never send a damaged original (%s), in whole, in part or as a new thumbnail: BLOB_MISSING, as the model path', async (_damage, color, damage) => {
    const image = await uploadSettled({ format: 'png', width: 46, height: 30, color });
    const { url, thumbnailUrl } = await mintUrls(h.gateway.client, image.id, 64);
    await writeFile(blobPath(image.sha256), await damage(image.bytes));

    expect(await expectRefusal(url, 500, 'BLOB_MISSING')).toMatch(/damaged.*Upload the same image again/);
    expect((await fetchImage(url, { headers: { range: 'bytes=0-9' } })).response.status).toBe(500);
    expect(await expectRefusal(thumbnailUrl, 500, 'BLOB_MISSING')).toMatch(/damaged/);
    expect(logs.lines.filter((line) => line.level === ERROR && line.blob === image.sha256 && line.reason === 'damaged').length).toBeGreaterThan(0);

    // Repaired by uploading the same bytes again: the same URLs serve them.
    expect((await reupload(image.bytes)).data!.uploadImage.id).toBe(image.id);
    const served = await fetchImage(url);
    expect(served.response.status).toBe(200);
    expect(served.body.equals(image.bytes)).toBe(true);
    expect((await fetchImage(thumbnailUrl)).response.status).toBe(200);
  });
});
