import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadImagesDocument } from '../generated/graphql.js';
import { collect, wsClient } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';

/**
 * How many SQL statements an operation sends, counted as Prisma reports
 * them (gateway_db_statements_total): lists are batched (no N+1), a hot
 * cached answer touches no database, a job writes its items in chunks.
 */

const STORED = 'query($first: Int!) { images(first: $first) { edges { node { id captions { text } questions { answer } } } } }';
const CACHED = 'query($id: ID!, $q: String!) { image(id: $id) { id answer(question: $q) { answer cached usage { totalTokens } } } }';
const SUBMIT = 'mutation($input: AnalysisInput!) { submitAnalysis(input: $input) { id total } }';
const COMPLETED = 'subscription($id: ID!) { jobCompleted(id: $id) { status total done } }';
const ASK = 'mutation($imageId: ID!, $question: String!) { askQuestion(imageId: $imageId, question: $question) { answer cached } }';
const QUESTION = 'What colour is it?';

let h: Harness;
let imageIds: string[];

/** Every statement the gateway sends while `work` runs (the harness is otherwise idle). */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const stop = h.gateway.app.statements.watch((sql) => sent.push(sql));
  try {
    await work();
  } finally {
    stop();
  }
  return sent;
}

/** Statements that write JobItem rows (Prisma quotes names with ` on SQLite, " on PostgreSQL). */
const itemWrites = (statements: string[], verb: 'INSERT' | 'UPDATE') =>
  statements.filter((sql) => new RegExp(`^${verb === 'INSERT' ? 'INSERT INTO' : 'UPDATE'}\\s+\\S*JobItem\\b`, 'i').test(sql));

async function uploadImages(count: number): Promise<string[]> {
  const ids: string[] = [];
  // 20 files per request at most (MAX_UPLOAD_FILES): a colour per image, so each is its own blob.
  for (let start = 0; start < count; start += 10) {
    const files = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, async (_, i) => {
        const n = start + i;
        const color = `#${(40 + n).toString(16).padStart(2, '0')}${(200 - n).toString(16).padStart(2, '0')}80`;
        return { name: `${n}.png`, bytes: await makeImage({ format: 'png', width: 16, height: 12, color }), type: 'image/png' };
      }),
    );
    const response = await h.gateway.client.upload(UploadImagesDocument, { files: files.map(() => null) }, files.map((file, i) => ({ path: `variables.files.${i}`, file })));
    expect(response.errors).toBeUndefined();
    ids.push(...response.data!.uploadImages.map((image) => image.id));
  }
  return ids;
}

async function runJob(ids: string[], question: string): Promise<{ submitted: string[]; ran: string[] }> {
  const ws = wsClient(h.gateway.server.url);
  try {
    let jobId = '';
    const submitted = await statementsOf(async () => {
      const response = await h.gateway.client.request<{ submitAnalysis: { id: string } }>(SUBMIT, { input: { imageIds: ids, captionStyles: ['BRIEF'], questions: [question] } });
      expect(response.errors).toBeUndefined();
      jobId = response.data!.submitAnalysis.id;
    });
    const ran = await statementsOf(async () => {
      const events = await collect<{ jobCompleted: { status: string; done: number; total: number } }>(ws, COMPLETED, { id: jobId });
      expect(events.at(-1)?.data?.jobCompleted).toMatchObject({ status: 'SUCCEEDED', done: ids.length * 2 });
    });
    return { submitted, ran };
  } finally {
    await ws.dispose();
  }
}

beforeAll(async () => {
  // The open mode is re-checked every KEY_CACHE_SECONDS, erased tenants every TENANT_ERASURE_CHECK_MS: not in the middle of a count.
  h = await startHarness({ env: { KEY_CACHE_SECONDS: '3600', TENANT_ERASURE_CHECK_MS: '3600000' } });
  imageIds = await uploadImages(50);
});
afterAll(() => h.close());

describe('SQL statements per operation', () => {
  it('a job of 50 images writes its items in one statement per chunk, not one per item', async () => {
    const { submitted, ran } = await runJob(imageIds, QUESTION);
    // 100 items: one INSERT (a chunk holds up to 200 rows).
    expect(itemWrites(submitted, 'INSERT'), submitted.join('\n')).toHaveLength(1);
    // Their outcomes: one UPDATE per image (one upstream call answers both of its items), not one per item.
    expect(itemWrites(ran, 'UPDATE').length, ran.join('\n')).toBeLessThanOrEqual(imageIds.length);
  });

  it('lists 50 images with their stored captions and questions in at most 3 statements', async () => {
    // The job above stored a caption and an answer for each image.
    let edges: Array<{ node: { captions: unknown[]; questions: unknown[] } }> = [];
    const statements = await statementsOf(async () => {
      const response = await h.gateway.client.request<{ images: { edges: typeof edges } }>(STORED, { first: 50 });
      expect(response.errors).toBeUndefined();
      edges = response.data!.images.edges;
    });
    expect(edges).toHaveLength(50);
    for (const { node } of edges) {
      expect(node.captions.length).toBeGreaterThan(0);
      expect(node.questions.length).toBeGreaterThan(0);
    }
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(3);
  });

  it('asks a fresh question about an image whose stored prompts are loaded without looking for a stored answer', async () => {
    const ask = (question: string) => h.gateway.client.request<{ askQuestion: { answer: string; cached: boolean } }>(ASK, { imageId: imageIds[1], question });
    expect((await ask('Loads the image\'s prompts?')).data?.askQuestion.cached).toBe(false);
    let fresh: boolean | undefined;
    const statements = await statementsOf(async () => {
      fresh = !(await ask('Fresh?')).data?.askQuestion.cached;
    });
    expect(fresh).toBe(true);
    expect(statements.filter((sql) => /^SELECT\b.*\bFROM\s+\S*Answer\b/is.test(sql)), statements.join('\n')).toEqual([]);
    // Stored with an insert, not an upsert (answer.repository.ts).
    expect(statements.filter((sql) => /\bAnswer\b/.test(sql)).map((sql) => /^INSERT INTO\s+\S*Answer\b(?!.*ON CONFLICT)/is.test(sql)), statements.join('\n')).toEqual([true]);
    // Asked again, the stored answer is found (it is in the prompts, so looked up): served, not asked upstream.
    expect((await ask('Fresh?')).data?.askQuestion.cached).toBe(true);
  });

  it('serves a hot cached answer without touching the database', async () => {
    const ask = () => h.gateway.client.request<{ image: { answer: { cached: boolean } } }>(CACHED, { id: imageIds[0], q: 'Is it hot?' });
    expect((await ask()).data?.image.answer.cached).toBe(false);
    expect((await ask()).data?.image.answer.cached).toBe(true);
    let cached: boolean | undefined;
    const statements = await statementsOf(async () => {
      cached = (await ask()).data?.image.answer.cached;
    });
    expect(cached).toBe(true);
    expect(statements, statements.join('\n')).toEqual([]);
  });
});
