import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import {
  AskQuestionDocument,
  ConversationDocument,
  DeleteConversationDocument,
  GetJobDocument,
  JobCompletedDocument,
  ListQuestionsDocument,
  ModerateImageDocument,
  ModerationsDocument,
  SendMessageDocument,
  StartConversationDocument,
  SubmitAnalysisDocument,
} from '../generated/graphql.js';
import { collect, wsClient } from '../support/client.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { postgresMissing, postgresSchemaUrl } from '../support/services.js';

// The scale-out database: the same gateway, end to end, on PostgreSQL (a server, or PGlite).

describe.skipIf(postgresMissing)('the gateway on PostgreSQL', () => {
  const url = postgresSchemaUrl('gateway');
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { DATABASE_URL: url } });
  });
  afterAll(async () => {
    await h?.close();
    const target = parseDatabaseUrl(url);
    if (target.kind === 'postgresql') await dropSchema(target);
  });

  it('migrates, uploads, answers, lists, and keeps answers across a restart', async () => {
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 32, height: 24, color: '#205080' });
    const asked = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'On Postgres?' });
    expect(asked.errors).toBeUndefined();
    expect(asked.data!.askQuestion.answer).toMatch(/^32x24 .* :: On Postgres\?$/);

    const listed = await h.gateway.client.request(ListQuestionsDocument, { filter: { promptContains: 'Postgres' }, first: 10 });
    expect(listed.data!.questions.edges.map((e) => e.node.id)).toEqual([asked.data!.askQuestion.id]);

    h.fake.reset();
    await restartGateway(h, { DATABASE_URL: url });
    const again = await h.gateway.client.request(AskQuestionDocument, { imageId: image.id, question: 'On Postgres?' });
    expect(again.data!.askQuestion).toMatchObject({ id: asked.data!.askQuestion.id, cached: true });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('filters moderation verdicts by flagged and category (a boolean and a delimited list in SQL)', async () => {
    const red = await uploadNew(h.gateway.client, { format: 'png', width: 20, height: 20, color: '#f00000' });
    const blue = await uploadNew(h.gateway.client, { format: 'png', width: 20, height: 20, color: '#0000f0' });
    for (const image of [red, blue]) expect((await h.gateway.client.request(ModerateImageDocument, { imageId: image.id })).errors).toBeUndefined();
    const ids = async (filter: Record<string, unknown>) =>
      (await h.gateway.client.request(ModerationsDocument, { filter })).data!.moderations.edges.map((e) => e.node.image.id);
    expect(await ids({ flagged: true })).toEqual([red.id]);
    expect(await ids({ flagged: false })).toEqual([blue.id]);
    expect(await ids({ category: 'VIOLENCE' })).toEqual([red.id]);
    expect(await ids({ category: 'DRUGS' })).toEqual([]);
  });

  it('runs a job, recording every item\'s outcome', async () => {
    // One of the two calls is refused for good: its image's two items fail, the other's succeed.
    h.fake.inject({ kind: 'status', status: 400 });
    const images = await Promise.all(['#602010', '#106020'].map((color) => uploadNew(h.gateway.client, { format: 'png', width: 20, height: 16, color })));
    const submitted = await h.gateway.client.request(SubmitAnalysisDocument, { input: { imageIds: images.map((i) => i.id), captionStyles: ['BRIEF'], questions: ['Job on Postgres?'] } });
    const jobId = submitted.data!.submitAnalysis.id;
    const ws = wsClient(h.gateway.server.url);
    try {
      expect((await collect(ws, JobCompletedDocument, { id: jobId })).at(-1)?.data?.jobCompleted).toMatchObject({ status: 'SUCCEEDED', done: 2, failed: 2 });
    } finally {
      await ws.dispose();
    }
    const items = (await h.gateway.client.request(GetJobDocument, { id: jobId })).data!.job!.items;
    const succeeded = items.filter((item) => item.status === 'SUCCEEDED');
    const failed = items.filter((item) => item.status === 'FAILED');
    expect(succeeded.map((item) => item.caption?.text ?? item.question?.answer)).toEqual([expect.any(String), expect.any(String)]);
    expect(failed.map((item) => [item.errorCode, typeof item.error])).toEqual([
      [expect.any(String), 'string'],
      [expect.any(String), 'string'],
    ]);
  });

  it('holds a conversation: the claim, two turns in order, their usage, and deletion with its messages', async () => {
    h.fake.reset();
    const image = await uploadNew(h.gateway.client, { format: 'png', width: 30, height: 20, color: '#802050' });
    const started = await h.gateway.client.request(StartConversationDocument, { imageIds: [image.id], title: 'On Postgres' });
    const id = started.data!.startConversation.id;
    for (const text of ['First on Postgres?', 'Second?']) {
      expect((await h.gateway.client.request(SendMessageDocument, { conversationId: id, text })).errors).toBeUndefined();
    }
    const read = (await h.gateway.client.request(ConversationDocument, { id, first: 10 })).data!.conversation!;
    expect(read.messages.edges.map((edge) => [edge.node.role, edge.node.text.replace(/^.* :: /, '')])).toEqual([
      ['USER', 'First on Postgres?'],
      ['ASSISTANT', 'First on Postgres?'],
      ['USER', 'Second?'],
      ['ASSISTANT', 'Second?'],
    ]);
    expect(h.fake.requests.at(-1)!.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(read.usage.totalTokens).toBe(2 * 1030);
    expect((await h.gateway.client.request(DeleteConversationDocument, { id })).data).toEqual({ deleteConversation: true });
    expect((await h.gateway.client.request(ConversationDocument, { id })).data).toEqual({ conversation: null });
  });
});
