import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, UploadImageDocument } from '../generated/graphql.js';
import type { ChildGateway } from '../support/child-gateway.js';
import { errorCodes } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { fetchImage, mintUrls, onOrigin } from '../support/image-urls.js';
import { REPLICA_TEST_TIMEOUT, replicasUnavailable, startReplicas, type Replicas } from '../support/replicas.js';
import { startS3, type TestS3 } from '../support/s3.js';

// Issue 9, point 2: blobs across replicas. Two gateway processes with separate DATA_DIRs on one
// PostgreSQL database: with S3_BUCKET an image uploaded on A is answered, shown and thumbnailed on
// B; without it (a disk per machine) B cannot read A's file, and uploading the same bytes on B
// writes B's copy (it used to return the existing row and write nothing, so it never healed).

let s3: TestS3;
let cluster: Replicas;
let a: ChildGateway;
let b: ChildGateway;

const ask = (replica: ChildGateway, imageId: string, question: string) => replica.client.request(AskQuestionDocument, { imageId, question });

describe.skipIf(replicasUnavailable)('blobs across replicas', () => {
  beforeAll(async () => {
    s3 = await startS3();
    const started = await startReplicas(2, { env: s3.env });
    cluster = started;
    [a, b] = started.replicas as [ChildGateway, ChildGateway];
  }, REPLICA_TEST_TIMEOUT);
  afterAll(async () => {
    await cluster?.close();
    await s3?.close();
  });

  it('S3: an image uploaded on A is answered on B, and its URL and thumbnail minted on A are served by B', async () => {
    const image = await uploadNew(a.client, { format: 'png', width: 120, height: 80, color: '#336699' });
    const asked = await ask(b, image.id, 'Seen from B?');
    expect(asked.errors).toBeUndefined();
    expect(asked.data!.askQuestion.answer).toBe('120x80 #336699 :: Seen from B?');

    const { url, thumbnailUrl } = await mintUrls(a.client, image.id, 40);
    const original = await fetchImage(onOrigin(url, new URL(b.url).origin));
    expect(original.response.status).toBe(200);
    expect(original.body.equals(image.bytes)).toBe(true);
    const thumbnail = await fetchImage(onOrigin(thumbnailUrl, new URL(b.url).origin));
    expect(thumbnail.response.status).toBe(200);
    expect(thumbnail.response.headers.get('content-type')).toBe('image/webp');
    // Rendered once, by B, into the bucket: A serves the same object.
    const fromA = await fetchImage(thumbnailUrl);
    expect(fromA.body.equals(thumbnail.body)).toBe(true);
    expect(await s3.keys()).toEqual(expect.arrayContaining([image.sha256, `thumbnails/${image.sha256}-64.webp`]));
  });

  it(
    'files (a disk per replica): B cannot read what A stored, and the same bytes uploaded on B write B its copy',
    async () => {
      // S3_BUCKET empty: the embedded default, files under each replica's own DATA_DIR.
      const [c, d] = (await cluster.startMany(2, { S3_BUCKET: '' })) as [ChildGateway, ChildGateway];
      const image = await uploadNew(c.client, { format: 'png', width: 64, height: 48, color: '#996633' });
      const lost = await ask(d, image.id, 'On D?');
      expect(errorCodes(lost)).toEqual(['BLOB_MISSING']);
      expect(lost.errors![0]!.message).toMatch(/Upload the same image again/);

      const again = await d.client.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'again.png', bytes: image.bytes } }]);
      expect(again.errors).toBeUndefined();
      expect(again.data!.uploadImage.id).toBe(image.id);
      const healed = await ask(d, image.id, 'On D?');
      expect(healed.errors).toBeUndefined();
      expect(healed.data!.askQuestion.answer).toBe('64x48 #996633 :: On D?');
    },
    REPLICA_TEST_TIMEOUT,
  );
});
