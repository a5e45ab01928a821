import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AskAboutImagesDocument,
  AskQuestionDocument,
  CaptionImageDocument,
  DeleteImageDocument,
  DeleteResultsDocument,
  GetImageDocument,
  GetJobDocument,
  ListCaptionsDocument,
  ListQuestionsDocument,
  SendMessageDocument,
  StartConversationDocument,
  SubmitAnalysisDocument,
} from '../generated/graphql.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { filesUnder, sha256, uploadNew } from '../support/flows.js';
import { startGateway, startHarness, type Harness } from '../support/gateway.js';
import { captureLogs } from '../support/log-capture.js';
import { expectRefusal, fetchImage, mintUrls } from '../support/image-urls.js';
import { makeImage, MIME } from '../support/images.js';
import { runCli } from '../support/operator-cli.js';
import { postgresMissing, postgresSchemaUrl } from '../support/services.js';
import { RetentionSweep } from '../../src/modules/lifecycle/retention-sweep.js';
import { createLogger } from '../../src/platform/logger.js';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';

// Deletion and retention (issue 15, points 5 and 6): deleteImage, deleteResults,
// `npm run tenants -- delete NAME`, and the retention sweep. Each is checked
// where it lands: the API, the signed URLs, the blob folder and the database rows.

const DAY_MS = 24 * 60 * 60 * 1000;

let h: Harness;
let alice: GraphQLClient;
let bob: GraphQLClient;

async function clientFor(tenant: string): Promise<GraphQLClient> {
  const { key } = await h.gateway.app.services.keys.create({ tenant });
  return new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });
}

let colors = 0;
/** Fresh bytes every call: a colour no other test uses. */
const freshBytes = () => makeImage({ format: 'png', width: 40 + (colors % 20), height: 30, color: `#${(0x102030 + ++colors * 0x0b0705).toString(16).slice(-6)}` });

async function upload(client: GraphQLClient, bytes: Buffer): Promise<{ id: string; sha256: string }> {
  const response = await client.upload('mutation($file: Upload!) { uploadImage(file: $file) { id sha256 } }', { file: null }, [
    { path: 'variables.file', file: { name: 'image.png', bytes, type: MIME.png } },
  ]);
  expect(response.errors).toBeUndefined();
  return (response.data as { uploadImage: { id: string; sha256: string } }).uploadImage;
}

async function ask(client: GraphQLClient, imageId: string, question: string) {
  const response = await client.request(AskQuestionDocument, { imageId, question });
  expect(response.errors).toBeUndefined();
  return response.data!.askQuestion;
}

async function deleteImage(client: GraphQLClient, id: string): Promise<boolean> {
  const response = await client.request(DeleteImageDocument, { id });
  expect(response.errors).toBeUndefined();
  return response.data!.deleteImage;
}

/** The blob files (originals and thumbnails) of these bytes. */
async function blobsOf(sha: string): Promise<string[]> {
  return (await filesUnder(path.join(h.gateway.dataDir, 'blobs'))).filter((file) => path.basename(file).startsWith(sha));
}

/** Reads the gateway's SQLite database directly, as an operator would. */
function withDb<T>(read: (db: Database.Database) => T): T {
  const db = new Database(path.join(h.gateway.dataDir, 'gateway.db'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const count = (db: Database.Database, sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;

/** Every row anywhere that still points at the image. */
function rowsReferencing(imageId: string): Record<string, number> {
  return withDb((db) => ({
    Image: count(db, 'SELECT COUNT(*) AS n FROM "Image" WHERE "id" = ?', imageId),
    Answer: count(db, 'SELECT COUNT(*) AS n FROM "Answer" WHERE "imageId" = ?', imageId),
    JobItem: count(db, 'SELECT COUNT(*) AS n FROM "JobItem" WHERE "imageId" = ?', imageId),
    ConversationImage: count(db, 'SELECT COUNT(*) AS n FROM "ConversationImage" WHERE "imageId" = ?', imageId),
    ImagesAnswerImage: count(db, 'SELECT COUNT(*) AS n FROM "ImagesAnswerImage" WHERE "imageId" = ?', imageId),
  }));
}

const NO_ROWS = { Image: 0, Answer: 0, JobItem: 0, ConversationImage: 0, ImagesAnswerImage: 0 };

beforeAll(async () => {
  h = await startHarness({ env: { KEY_CACHE_SECONDS: '0', JOB_ITEM_RETRIES: '0' } });
  alice = await clientFor('alice');
  bob = await clientFor('bob');
});
afterAll(() => h?.close());

describe('deleteImage', () => {
  it('removes the image, its results, conversations and multi-image answers, its blob and thumbnails; the second call answers false', async () => {
    const image = await upload(alice, await freshBytes());
    const other = await upload(alice, await freshBytes());
    await ask(alice, image.id, 'What is it?');
    expect((await alice.request(CaptionImageDocument, { imageId: image.id })).errors).toBeUndefined();
    expect((await alice.request(AskAboutImagesDocument, { imageIds: [image.id, other.id], question: 'Same colour?' })).errors).toBeUndefined();
    const conversation = (await alice.request(StartConversationDocument, { imageIds: [image.id] })).data!.startConversation;
    expect((await alice.request(SendMessageDocument, { conversationId: conversation.id, text: 'Hello?' })).errors).toBeUndefined();
    const urls = await mintUrls(alice, image.id, 32);
    expect((await fetchImage(urls.thumbnailUrl)).response.status).toBe(200);
    expect((await blobsOf(image.sha256)).length).toBe(2); // the original and its thumbnail

    expect(await deleteImage(alice, image.id)).toBe(true);

    expect((await alice.request(GetImageDocument, { id: image.id })).data!.image).toBeNull();
    expect((await alice.request(ListQuestionsDocument, { filter: { imageId: image.id }, first: 10 })).data!.questions.edges).toEqual([]);
    expect(rowsReferencing(image.id)).toEqual(NO_ROWS);
    expect(withDb((db) => count(db, 'SELECT COUNT(*) AS n FROM "Conversation" WHERE "id" = ?', conversation.id))).toBe(0);
    expect(withDb((db) => count(db, 'SELECT COUNT(*) AS n FROM "Message" WHERE "conversationId" = ?', conversation.id))).toBe(0);
    expect(withDb((db) => count(db, 'SELECT COUNT(*) AS n FROM "ImagesAnswer" WHERE "tenant" = ?', 'alice'))).toBe(0);
    expect(await blobsOf(image.sha256)).toEqual([]);
    // Signed URLs minted before the deletion stop working.
    await expectRefusal(urls.url, 404, 'NOT_FOUND');
    await expectRefusal(urls.thumbnailUrl, 404, 'NOT_FOUND');
    // The other image of the multi-image answer stays, with its bytes.
    expect((await alice.request(GetImageDocument, { id: other.id })).data!.image?.id).toBe(other.id);
    expect(await blobsOf(other.sha256)).toHaveLength(1);

    expect(await deleteImage(alice, image.id)).toBe(false);
  });

  it('forgets the deleted answers in memory: the same bytes uploaded again are asked again', async () => {
    const bytes = await freshBytes();
    const first = await upload(alice, bytes);
    expect((await ask(alice, first.id, 'Asked twice?')).cached).toBe(false);
    expect(await deleteImage(alice, first.id)).toBe(true);

    const again = await upload(alice, bytes);
    expect(again.id).not.toBe(first.id);
    h.fake.reset();
    const answer = await ask(alice, again.id, 'Asked twice?');
    expect(answer).toMatchObject({ cached: false, image: { id: again.id } });
    expect(h.fake.requests).toHaveLength(1);
  });

  it('keeps bytes another tenant still uses, and removes them with the last image row', async () => {
    const bytes = await freshBytes();
    const alices = await upload(alice, bytes);
    const bobs = await upload(bob, bytes);
    const bobAnswer = await ask(bob, bobs.id, 'Still here?');

    // Another tenant's image is as unknown as a missing one: nothing happens to it.
    expect(await deleteImage(bob, alices.id)).toBe(false);
    expect(rowsReferencing(alices.id).Image).toBe(1);

    expect(await deleteImage(alice, alices.id)).toBe(true);
    expect(await blobsOf(sha256(bytes))).toHaveLength(1);
    const { response, body } = await fetchImage((await mintUrls(bob, bobs.id)).url);
    expect(response.status).toBe(200);
    expect(body.equals(bytes)).toBe(true);
    expect(await ask(bob, bobs.id, 'Still here?')).toMatchObject({ id: bobAnswer.id, cached: true });

    expect(await deleteImage(bob, bobs.id)).toBe(true);
    expect(await blobsOf(sha256(bytes))).toEqual([]);
  });

  it('fails the items of a running job that refer to it with NOT_FOUND; the rest of the job goes on', async () => {
    const [doomed, kept] = [await upload(alice, await freshBytes()), await upload(alice, await freshBytes())];
    h.fake.reset();
    // Both calls stay in flight until the deletion has landed.
    h.fake.holdReplies();
    try {
      const job = (await alice.request(SubmitAnalysisDocument, { input: { imageIds: [doomed.id, kept.id], questions: ['Which one?'] } })).data!.submitAnalysis;
      await expect.poll(() => h.fake.requests.length, { timeout: 20_000 }).toBe(2);

      expect(await deleteImage(alice, doomed.id)).toBe(true);
      const during = (await alice.request(GetJobDocument, { id: job.id })).data!.job!;
      expect(during.items.find((item) => item.image === null)).toMatchObject({ status: 'FAILED', errorCode: 'NOT_FOUND' });
      h.fake.releaseReplies();

      await expect.poll(async () => (await alice.request(GetJobDocument, { id: job.id })).data!.job!.status, { timeout: 20_000 }).toBe('SUCCEEDED');
      const done = (await alice.request(GetJobDocument, { id: job.id })).data!.job!;
      expect(done).toMatchObject({ total: 2, done: 1, failed: 1 });
      expect(done.items.map((item) => [item.image?.id ?? null, item.status, item.errorCode])).toEqual([
        [null, 'FAILED', 'NOT_FOUND'],
        [kept.id, 'SUCCEEDED', null],
      ]);
      // The answer that arrived for the deleted image was not stored.
      expect(rowsReferencing(doomed.id)).toEqual(NO_ROWS);
    } finally {
      h.fake.releaseReplies();
    }
  });
});

describe('deleteImage while its answer is being computed', () => {
  it('the question asked just before answers NOT_FOUND, and nothing is stored for the deleted image', async () => {
    const doomed = await upload(alice, await freshBytes());
    h.fake.reset();
    // The call stays in flight until the deletion has landed.
    h.fake.holdReplies();
    try {
      const asking = alice.request(AskQuestionDocument, { imageId: doomed.id, question: 'Still there?' });
      await expect.poll(() => h.fake.requests.length, { timeout: 20_000 }).toBe(1);
      expect(await deleteImage(alice, doomed.id)).toBe(true);
      h.fake.releaseReplies();

      const response = await asking;
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
      expect(rowsReferencing(doomed.id)).toEqual(NO_ROWS);
    } finally {
      h.fake.releaseReplies();
    }
  });
});

describe('deleteResults', () => {
  it('deletes exactly what the list shows with the same filter, in the caller’s tenant only', async () => {
    const image = await upload(alice, await freshBytes());
    const bobsImage = await upload(bob, await freshBytes());
    for (const question of ['Drop me: one?', 'Drop me: two?', 'Keep me?']) await ask(alice, image.id, question);
    await ask(bob, bobsImage.id, 'Drop me: one?');
    const caption = (await alice.request(CaptionImageDocument, { imageId: image.id })).data!.captionImage;

    const listed = (await alice.request(ListQuestionsDocument, { filter: { imageId: image.id, promptContains: 'Drop me' }, first: 10 })).data!.questions.edges;
    expect(listed).toHaveLength(2);
    const deleted = await alice.request(DeleteResultsDocument, { filter: { questions: { imageId: image.id, promptContains: 'Drop me' } } });
    expect(deleted.data!.deleteResults).toBe(2);

    const left = (await alice.request(ListQuestionsDocument, { filter: { imageId: image.id }, first: 10 })).data!.questions.edges;
    expect(left.map((edge) => edge.node.prompt)).toEqual(['Keep me?']);
    expect(withDb((db) => count(db, 'SELECT COUNT(*) AS n FROM "Answer" WHERE "id" IN (?, ?)', ...listed.map((edge) => edge.node.id)))).toBe(0);
    expect((await alice.request(ListCaptionsDocument, { filter: { imageId: image.id }, first: 10 })).data!.captions.edges.map((edge) => edge.node.id)).toEqual([caption.id]);
    expect((await bob.request(ListQuestionsDocument, { filter: { imageId: bobsImage.id }, first: 10 })).data!.questions.edges).toHaveLength(1);

    // Not served from memory after: asked again, it goes upstream.
    h.fake.reset();
    expect((await ask(alice, image.id, 'Drop me: one?')).cached).toBe(false);
    expect(h.fake.requests).toHaveLength(1);
  });

  it('deletes every caption of the tenant with {}, and refuses a filter that names nothing', async () => {
    const image = await upload(bob, await freshBytes());
    expect((await bob.request(CaptionImageDocument, { imageId: image.id })).errors).toBeUndefined();
    expect((await bob.request(CaptionImageDocument, { imageId: image.id, style: 'DETAILED' })).errors).toBeUndefined();
    const before = (await bob.request(ListCaptionsDocument, { first: 100 })).data!.captions.edges.length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect((await bob.request(DeleteResultsDocument, { filter: { captions: {} } })).data!.deleteResults).toBe(before);
    expect((await bob.request(ListCaptionsDocument, { first: 100 })).data!.captions.edges).toEqual([]);
    expect(errorCodes(await bob.request(DeleteResultsDocument, { filter: {} }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('npm run tenants -- delete NAME', () => {
  it('erases the tenant’s rows, keys and the blobs no other tenant uses, and prints what it removed', async () => {
    const carol = await clientFor('carol');
    const shared = await freshBytes();
    const own = await freshBytes();
    await upload(bob, shared);
    const [carolShared, carolOwn] = [await upload(carol, shared), await upload(carol, own)];
    await ask(carol, carolOwn.id, 'Whose is it?');
    const job = (await carol.request(SubmitAnalysisDocument, { input: { imageIds: [carolShared.id], captionStyles: ['BRIEF'] } })).data!.submitAnalysis;
    await expect.poll(async () => (await carol.request(GetJobDocument, { id: job.id })).data!.job!.status, { timeout: 20_000 }).toBe('SUCCEEDED');
    expect((await carol.request(StartConversationDocument, { imageIds: [carolOwn.id] })).errors).toBeUndefined();

    const run = await runCli('tenants', ['delete', 'carol', '--yes'], { DATA_DIR: h.gateway.dataDir });
    expect(run.stderr).not.toMatch(/tenants: (?!database)/);
    expect(run.code).toBe(0);
    const printed = Object.fromEntries([...run.stdout.matchAll(/^\s+(\d+)\s+(.+)$/gm)].map((m) => [m[2]!, Number(m[1])]));
    expect(printed).toMatchObject({
      images: 2,
      'captions, answers and vision results': 2,
      conversations: 1,
      jobs: 1,
      'API keys': 1,
      'image files (no other tenant uses their bytes)': 1,
    });

    const left = withDb((db) =>
      Object.fromEntries(
        ['Image', 'Answer', 'Job', 'Conversation', 'ImagesAnswer', 'ApiKey'].map((table) => [table, count(db, `SELECT COUNT(*) AS n FROM "${table}" WHERE "tenant" = ?`, 'carol')]),
      ),
    );
    expect(left).toEqual({ Image: 0, Answer: 0, Job: 0, Conversation: 0, ImagesAnswer: 0, ApiKey: 0 });
    expect(withDb((db) => count(db, 'SELECT COUNT(*) AS n FROM "JobItem" WHERE "jobId" = ?', job.id))).toBe(0);
    expect(await blobsOf(sha256(own))).toEqual([]);
    expect(await blobsOf(sha256(shared))).toHaveLength(1);
    expect(errorCodes(await carol.request(GetImageDocument, { id: carolOwn.id }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('retention', () => {
  // A gateway of its own: the sweep is across tenants, so only this test's rows may be in its database.
  let r: Harness;
  beforeAll(async () => (r = await startHarness()));
  afterAll(() => r?.close());

  it('deletes exactly the images (with their results) stored before the cutoff, and the jobs that ended before theirs', async () => {
    const client = r.gateway.client;
    const old = await uploadNew(client, { format: 'png', width: 61, height: 31, color: '#0a0b0c' });
    await ask(client, old.id, 'Old enough?');
    const job = (await client.request(SubmitAnalysisDocument, { input: { imageIds: [old.id], questions: ['Old enough?'] } })).data!.submitAnalysis;
    await expect.poll(async () => (await client.request(GetJobDocument, { id: job.id })).data!.job!.status, { timeout: 20_000 }).toBe('SUCCEEDED');
    const finishedAt = Date.parse((await client.request(GetJobDocument, { id: job.id })).data!.job!.finishedAt!);
    // The next row must be stored a millisecond later, or no cutoff could lie between them.
    await expect.poll(() => Date.now() > finishedAt + 1).toBe(true);
    const young = await uploadNew(client, { format: 'png', width: 62, height: 31, color: '#0c0b0a' });
    const youngAnswer = await ask(client, young.id, 'Old enough?');
    const youngAt = Date.parse(young.createdAt);

    const sweep = (days: number | null, jobDays: number | null) => new RetentionSweep(r.gateway.app.services.deletion, { days, jobDays }, createLogger('silent'));
    // At the very moment it is a day old, a job is not yet older than a day.
    expect(await sweep(null, 1).sweep(new Date(finishedAt + DAY_MS))).toMatchObject({ jobs: 0, images: 0 });
    // The cutoff is exactly the young image's time: only what was stored before it goes.
    expect(await sweep(1, 1).sweep(new Date(youngAt + DAY_MS))).toMatchObject({ images: 1, answers: 1, jobs: 1, blobs: 1 });

    const db = new Database(path.join(r.gateway.dataDir, 'gateway.db'), { readonly: true });
    try {
      expect(count(db, 'SELECT COUNT(*) AS n FROM "Image"')).toBe(1);
      expect(count(db, 'SELECT COUNT(*) AS n FROM "Answer"')).toBe(1);
      expect(count(db, 'SELECT COUNT(*) AS n FROM "Job"')).toBe(0);
      expect(count(db, 'SELECT COUNT(*) AS n FROM "JobItem"')).toBe(0);
    } finally {
      db.close();
    }
    expect((await filesUnder(path.join(r.gateway.dataDir, 'blobs'))).map((file) => path.basename(file))).toEqual([sha256(young.bytes)]);
    expect((await client.request(GetImageDocument, { id: young.id })).data!.image?.questions.map((q) => q.id)).toEqual([youngAnswer.id]);
  });

  it('sweeps at start (RETENTION_DAYS) and logs what it removed', async () => {
    const image = await uploadNew(r.gateway.client, { format: 'png', width: 63, height: 31, color: '#3c3b3a' });
    await r.gateway.stop();
    // Three days old, written as Prisma stores DateTime in SQLite.
    const db = new Database(path.join(r.gateway.dataDir, 'gateway.db'));
    db.prepare('UPDATE "Image" SET "createdAt" = ? WHERE "id" = ?').run(new Date(Date.now() - 3 * DAY_MS).toISOString().replace('Z', '+00:00'), image.id);
    db.close();

    const { logger, lines } = captureLogs();
    r.gateway = await startGateway({ dataDir: r.gateway.dataDir, env: { RETENTION_DAYS: '2' }, logger });
    await expect.poll(() => lines.find((line) => line.msg === 'retention sweep done'), { timeout: 20_000 }).toBeDefined();
    expect(lines.find((line) => line.msg === 'retention sweep done')).toMatchObject({ removed: { images: 1, blobs: 1 }, retentionDays: 2, jobRetentionDays: 30 });
    expect((await r.gateway.client.request(GetImageDocument, { id: image.id })).data!.image).toBeNull();
  });
});

// The same deletion on the scale-out database (a server, or PGlite: test/support/services.ts).

describe.skipIf(postgresMissing)('on PostgreSQL', () => {
  const url = postgresSchemaUrl('gateway');
  let p: Harness;
  beforeAll(async () => (p = await startHarness({ env: { DATABASE_URL: url } })));
  afterAll(async () => {
    await p?.close();
    const target = parseDatabaseUrl(url);
    if (target.kind === 'postgresql') await dropSchema(target);
  });

  it('deletes an image with its results and job links, keeps shared bytes, deletes results by filter, and expires by age', async () => {
    const keys = p.gateway.app.services.keys;
    const [erin, frank] = await Promise.all(['erin', 'frank'].map(async (tenant) => new GraphQLClient(p.gateway.server.url, { authorization: `Bearer ${(await keys.create({ tenant })).key}` })));
    const bytes = await makeImage({ format: 'png', width: 33, height: 22, color: '#406080' });
    const [erins, franks] = [await upload(erin!, bytes), await upload(frank!, bytes)];
    await ask(erin!, erins.id, 'On Postgres?');
    await ask(frank!, franks.id, 'Drop me on Postgres?');
    const job = (await erin!.request(SubmitAnalysisDocument, { input: { imageIds: [erins.id], captionStyles: ['BRIEF'] } })).data!.submitAnalysis;
    await expect.poll(async () => (await erin!.request(GetJobDocument, { id: job.id })).data!.job!.status, { timeout: 20_000 }).toBe('SUCCEEDED');

    expect(await deleteImage(erin!, erins.id)).toBe(true);
    expect(await deleteImage(erin!, erins.id)).toBe(false);
    expect((await erin!.request(GetImageDocument, { id: erins.id })).data!.image).toBeNull();
    const items = (await erin!.request(GetJobDocument, { id: job.id })).data!.job!.items;
    expect(items.map((item) => [item.image, item.status, item.caption])).toEqual([[null, 'SUCCEEDED', null]]);
    const franksUrl = (await mintUrls(frank!, franks.id)).url;
    expect((await fetchImage(franksUrl)).response.status).toBe(200);

    expect((await frank!.request(DeleteResultsDocument, { filter: { questions: { promptContains: 'Drop me' } } })).data!.deleteResults).toBe(1);
    expect((await frank!.request(ListQuestionsDocument, { first: 10 })).data!.questions.edges).toEqual([]);

    const sweep = new RetentionSweep(p.gateway.app.services.deletion, { days: 1, jobDays: 1 }, createLogger('silent'));
    const frankAt = Date.parse((await frank!.request(GetImageDocument, { id: franks.id })).data!.image!.createdAt);
    const finishedAt = Date.parse((await erin!.request(GetJobDocument, { id: job.id })).data!.job!.finishedAt!);
    expect(await sweep.sweep(new Date(frankAt + DAY_MS))).toMatchObject({ images: 0 });
    expect(await sweep.sweep(new Date(Math.max(frankAt, finishedAt) + DAY_MS + 1))).toMatchObject({ images: 1, blobs: 1, jobs: 1 });
    expect((await fetchImage(franksUrl)).response.status).toBe(404);
  });
});
