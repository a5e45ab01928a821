import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/platform/database/database-url.js';
import { dropSchema } from '../../src/platform/database/migration-diff.js';
import { AskQuestionDocument, ListQuestionsDocument } from '../generated/graphql.js';
import { restartGateway, startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';

// The scale-out database: the same gateway, end to end, on PostgreSQL.
// TEST_POSTGRES_URL=off opts out on machines without a server.
const PG_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://127.0.0.1:5432/test';

describe.skipIf(PG_URL === 'off')('the gateway on PostgreSQL', () => {
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=gateway_${randomBytes(4).toString('hex')}`;
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
});
