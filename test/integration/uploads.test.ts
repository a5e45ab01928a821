import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetImageDocument, ListImagesDocument, UploadImageDocument, UploadImagesDocument } from '../generated/graphql.js';
import { errorCodes } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage, MIME } from '../support/images.js';
import { filesUnder, sha256, uploadNew } from '../support/flows.js';

let h: Harness;
const blobFiles = () => filesUnder(path.join(h.gateway.dataDir, 'blobs'));
const tmpFiles = () => filesUnder(path.join(h.gateway.dataDir, 'tmp'));
const imageCount = async () => (await h.gateway.client.request(ListImagesDocument, { first: 100 })).data!.images.edges.length;

/** Asserts that a failed upload left no row, no blob and no temporary file behind, and the server still serves. */
async function expectNothingStored(before: { images: number; blobs: number }) {
  expect(await imageCount()).toBe(before.images);
  expect((await blobFiles()).length).toBe(before.blobs);
  expect(await tmpFiles()).toEqual([]);
}
const snapshot = async () => ({ images: await imageCount(), blobs: (await blobFiles()).length });

beforeAll(async () => {
  h = await startHarness({ env: { MAX_UPLOAD_BYTES: String(300 * 1024), MAX_UPLOAD_FILES: '3', MAX_IMAGE_PIXELS: String(4000 * 1000) } });
});
afterAll(() => h.close());

describe('uploadImage', () => {
  it.each(['png', 'jpeg', 'webp', 'gif'] as const)('stores a %s with its real type, size and hash', async (format) => {
    const image = await uploadNew(h.gateway.client, { format, width: 64, height: 48, color: '#884422' });
    expect(image).toMatchObject({ mimeType: MIME[format], width: 64, height: 48, byteSize: image.bytes.length, sha256: sha256(image.bytes) });
    const blob = path.join('blobs', image.sha256.slice(0, 2), image.sha256.slice(2, 4), image.sha256);
    expect(await filesUnder(h.gateway.dataDir)).toContain(blob);
  });

  it('is content-addressed: the same bytes return the same Image', async () => {
    const bytes = await makeImage({ format: 'png', width: 30, height: 30, color: '#010203' });
    const send = (name: string) => h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name, bytes } }]);
    const first = await send('a.png');
    const second = await send('other-name.jpg');
    expect(second.data!.uploadImage.id).toBe(first.data!.uploadImage.id);
  });

  it('detects the type from the bytes, not the name or declared type', async () => {
    const bytes = await makeImage({ format: 'webp', width: 20, height: 20 });
    const response = await h.gateway.client.upload(UploadImageDocument, { file: null }, [
      { path: 'variables.file', file: { name: 'photo.jpg', bytes, type: 'image/jpeg' } },
    ]);
    expect(response.data!.uploadImage.mimeType).toBe('image/webp');
  });

  it('applies EXIF orientation to the recorded size', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'jpeg', width: 40, height: 20, exifOrientation: 6 });
    expect([image.width, image.height]).toEqual([20, 40]);
  });

  it.each([
    ['text renamed to .png', Buffer.from('hello, this is not an image at all\n'.repeat(20)), 'UNSUPPORTED_MEDIA_TYPE'],
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['an empty file', Buffer.alloc(0), 'BAD_USER_INPUT'],
  ])('refuses %s with %s and stores nothing', async (_name, bytes, code) => {
    const before = await snapshot();
    const response = await h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'x.png', bytes, type: 'image/png' } }]);
    expect(errorCodes(response)).toEqual([code]);
    await expectNothingStored(before);
  });

  it('refuses a truncated image with BAD_USER_INPUT', async () => {
    const before = await snapshot();
    const bytes = await makeImage({ format: 'png', width: 200, height: 200, color: '#123456' });
    const noisy = await makeImage({ format: 'jpeg', width: 300, height: 300 });
    for (const truncated of [bytes.subarray(0, Math.floor(bytes.length / 2)), noisy.subarray(0, Math.floor(noisy.length * 0.6))]) {
      const response = await h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'x', bytes: truncated } }]);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    }
    await expectNothingStored(before);
  });

  it('refuses files over MAX_UPLOAD_BYTES with PAYLOAD_TOO_LARGE', async () => {
    const before = await snapshot();
    const big = Buffer.concat([await makeImage({ format: 'png', width: 20, height: 20 }), Buffer.alloc(400 * 1024)]);
    const response = await h.gateway.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'big.png', bytes: big } }]);
    expect(errorCodes(response)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(response.status).toBe(413);
    await expectNothingStored(before);
  });

  it('refuses too many pixels with IMAGE_TOO_LARGE, judged from the header', async () => {
    const before = await snapshot();
    // 5000×1000 solid PNG: a few KB on the wire, 5 MP once decoded.
    const response = await h.gateway.client.upload(UploadImageDocument, { file: null }, [
      { path: 'variables.file', file: { name: 'wide.png', bytes: await makeImage({ format: 'png', width: 5000, height: 1000 }) } },
    ]);
    expect(errorCodes(response)).toEqual(['IMAGE_TOO_LARGE']);
    await expectNothingStored(before);
  });

  it.each([
    [5, 100, 'at least 10 pixels'],
    [2100, 10, 'aspect ratio'],
  ])('refuses %i×%i (endpoint rule: %s)', async (width, height, message) => {
    const before = await snapshot();
    const response = await h.gateway.client.upload(UploadImageDocument, { file: null }, [
      { path: 'variables.file', file: { name: 'x.png', bytes: await makeImage({ format: 'png', width, height }) } },
    ]);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toContain(message);
    await expectNothingStored(before);
  });
});

describe('uploadImages', () => {
  it('stores several files in order', async () => {
    const files = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map((color) => makeImage({ format: 'png', width: 16, height: 16, color })));
    const response = await h.gateway.client.upload(
      UploadImagesDocument,
      { files: [null, null, null] },
      files.map((bytes, i) => ({ path: `variables.files.${i}`, file: { name: `${i}.png`, bytes } })),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.uploadImages.map((i) => i.sha256)).toEqual(files.map(sha256));
  });

  it.each([
    ['not an image', 1, async () => Buffer.from('this is plain text, not an image'), 'UNSUPPORTED_MEDIA_TYPE', /^File 2:/],
    ['over MAX_UPLOAD_BYTES', 2, async () => Buffer.concat([await makeImage({ format: 'png', width: 20, height: 20 }), Buffer.alloc(400 * 1024)]), 'PAYLOAD_TOO_LARGE', /^File 3:/],
  ])('stores none when one file is %s (after %i good ones), and says which', async (_name, goodCount, badBytes, code, message) => {
    const before = await snapshot();
    const good = await Promise.all(['#abcdef', '#fedcba'].slice(0, goodCount).map((color) => makeImage({ format: 'png', width: 16, height: 16, color })));
    const files = [...good, await badBytes()];
    const response = await h.gateway.client.upload(
      UploadImagesDocument,
      { files: files.map(() => null) },
      files.map((bytes, i) => ({ path: `variables.files.${i}`, file: { name: `${i}.png`, bytes } })),
    );
    expect(errorCodes(response)).toEqual([code]);
    expect(response.errors![0]!.message).toMatch(message);
    await expectNothingStored(before);
  });

  it('refuses more files than MAX_UPLOAD_FILES before reading them', async () => {
    const before = await snapshot();
    const bytes = await makeImage({ format: 'png', width: 16, height: 16 });
    const response = await h.gateway.client.upload(
      UploadImagesDocument,
      { files: [null, null, null, null] },
      [0, 1, 2, 3].map((i) => ({ path: `variables.files.${i}`, file: { name: `${i}.png`, bytes } })),
    );
    expect(response.status).toBe(413);
    expect(errorCodes(response)).toEqual(['PAYLOAD_TOO_LARGE']);
    await expectNothingStored(before);
  });
});

describe('multipart transport', () => {
  const raw = (body: string | Buffer, headers: Record<string, string>) =>
    fetch(h.gateway.server.url, { method: 'POST', headers, body });
  const boundary = 'XyZboundary';
  const multipart = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' };
  const part = (name: string, value: string, filename?: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: image/png` : ''}\r\n\r\n${value}\r\n`;
  const operations = JSON.stringify({ query: 'mutation($file: Upload!) { uploadImage(file: $file) { id } }', variables: { file: null } });

  it('refuses a multipart request without the CSRF preflight header, before parsing', async () => {
    const before = await snapshot();
    const form = new FormData();
    form.append('operations', operations);
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob([await makeImage({ format: 'png', width: 16, height: 16, color: '#999999' })]), 'a.png');
    // A well-formed upload, and a body that is not even multipart: a parser would have said so; the CSRF check answers first.
    for (const response of [await fetch(h.gateway.server.url, { method: 'POST', body: form }), await raw('this is not a multipart body at all', { 'content-type': multipart['content-type'] })]) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: Array<{ message: string }> }).errors[0]!.message).toMatch(/Apollo-Require-Preflight/);
    }
    await expectNothingStored(before);
  });

  it.each([
    ['bad operations JSON', part('operations', '{not json') + part('map', '{}') + `--${boundary}--\r\n`],
    ['a bad map', part('operations', operations) + part('map', '[1,2]') + `--${boundary}--\r\n`],
    ['a map to a missing file', part('operations', operations) + part('map', '{"0":["variables.file"]}') + `--${boundary}--\r\n`],
    ['a truncated body', part('operations', operations) + part('map', '{"0":["variables.file"]}') + `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n`],
    ['no parts at all', `--${boundary}--\r\n`],
  ])('answers 400 to %s and keeps serving', async (_name, body) => {
    const before = await snapshot();
    const response = await raw(body, multipart);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { errors: unknown[] };
    expect(json.errors.length).toBeGreaterThan(0);
    await expectNothingStored(before);
  });

  it('refuses a body declared larger than any valid upload before reading it', async () => {
    const response = await raw(part('operations', operations), { ...multipart, 'content-length': String(50 * 1024 * 1024) }).catch((error: unknown) => error);
    // The gateway answers 413 at once; fetch may instead see the connection close before sending 50 MB.
    if (response instanceof Response) expect(response.status).toBe(413);
    const after = await h.gateway.client.request(ListImagesDocument, { first: 1 });
    expect(after.status).toBe(200);
  });

  it('answers a malformed JSON body with 400 and a JSON error', async () => {
    const response = await raw('{"query": "{ images { edges', { 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('ignores files the map never references', async () => {
    const bytes = await makeImage({ format: 'png', width: 12, height: 12, color: '#777777' });
    const form = new FormData();
    form.append('operations', operations);
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob([bytes]), 'a.png');
    form.append('1', new Blob([Buffer.from('stray bytes nobody asked for')]), 'stray.bin');
    const response = await fetch(h.gateway.server.url, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { data: { uploadImage: { id: string } }; errors?: unknown };
    expect(json.errors).toBeUndefined();
    const image = await h.gateway.client.request(GetImageDocument, { id: json.data.uploadImage.id });
    expect(image.data!.image!.sha256).toBe(sha256(bytes));
  });
});
