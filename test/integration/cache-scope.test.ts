import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskQuestionDocument, ListQuestionsDocument } from '../generated/graphql.js';
import { GraphQLClient } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';

// CACHE_SCOPE (issue 10, point 11). `tenant`, the default: a tenant is never
// served another tenant's answer, from the store, the memory layer or an
// upstream call in flight, so it cannot learn what others asked; each tenant
// pays once for its own. `global`: identical bytes asked the same thing are
// paid for once across tenants (a documented privacy trade-off).

async function twoTenants(env: Record<string, string> = {}) {
  const h = await startHarness({ env });
  const keys = h.gateway.app.services.keys;
  const client = async (tenant: string) => new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${(await keys.create({ tenant })).key}` });
  return { h, alice: await client('alice'), bob: await client('bob') };
}

async function uploadSame(client: GraphQLClient, bytes: Buffer): Promise<string> {
  const response = await client.upload('mutation($file: Upload!) { uploadImage(file: $file) { id } }', { file: null }, [{ path: 'variables.file', file: { name: 'same.png', bytes } }]);
  expect(response.errors).toBeUndefined();
  return (response.data as { uploadImage: { id: string } }).uploadImage.id;
}

describe('CACHE_SCOPE=global', () => {
  let h: Harness;
  let alice: GraphQLClient;
  let bob: GraphQLClient;
  beforeAll(async () => ({ h, alice, bob } = await twoTenants({ CACHE_SCOPE: 'global' })));
  afterAll(() => h?.close());

  it('shares upstream work for identical bytes across tenants, but not rows', async () => {
    const bytes = await makeImage({ format: 'png', width: 44, height: 33, color: '#123abc' });
    const aliceImage = await uploadSame(alice, bytes);
    const bobImage = await uploadSame(bob, bytes);
    expect(bobImage).not.toBe(aliceImage);

    h.fake.reset();
    const first = (await alice.request(AskQuestionDocument, { imageId: aliceImage, question: 'Shared work?' })).data!.askQuestion;
    const second = (await bob.request(AskQuestionDocument, { imageId: bobImage, question: 'Shared work?' })).data!.askQuestion;
    expect(h.fake.requests).toHaveLength(1);
    expect(second).toMatchObject({ answer: first.answer, cached: true, usage: { totalTokens: 0 } });
    expect(second.id).not.toBe(first.id);
    expect(second.image.id).toBe(bobImage);
    const bobQuestions = (await bob.request(ListQuestionsDocument, { filter: { promptContains: 'Shared work' }, first: 10 })).data!.questions.edges;
    expect(bobQuestions.map((e) => e.node.id)).toEqual([second.id]);
  });
});

describe('CACHE_SCOPE=tenant (the default)', () => {
  let h: Harness;
  let alice: GraphQLClient;
  let bob: GraphQLClient;
  beforeAll(async () => ({ h, alice, bob } = await twoTenants()));
  afterAll(() => h?.close());

  it('never serves one tenant another tenant’s answer: each pays once for its own', async () => {
    const bytes = await makeImage({ format: 'png', width: 45, height: 33, color: '#3a7b1c' });
    const bobImage = await uploadSame(bob, bytes);
    h.fake.reset();
    const bobs = (await bob.request(AskQuestionDocument, { imageId: bobImage, question: 'What did Bob ask?' })).data!.askQuestion;
    expect(bobs.cached).toBe(false);

    // Alice holds the same bytes and asks Bob's exact question: the model is asked again, for her.
    const aliceImage = await uploadSame(alice, bytes);
    const alices = (await alice.request(AskQuestionDocument, { imageId: aliceImage, question: 'What did Bob ask?' })).data!.askQuestion;
    expect(h.fake.requests).toHaveLength(2);
    expect(alices).toMatchObject({ cached: false, image: { id: aliceImage } });
    expect(alices.usage.totalTokens).toBeGreaterThan(0);

    // Within a tenant the cache holds as before.
    const again = (await alice.request(AskQuestionDocument, { imageId: aliceImage, question: 'What did Bob ask?' })).data!.askQuestion;
    expect(again).toMatchObject({ id: alices.id, cached: true });
    expect(h.fake.requests).toHaveLength(2);
  });

  it('does not let one tenant wait on another tenant’s upstream call in flight', async () => {
    const bytes = await makeImage({ format: 'png', width: 46, height: 33, color: '#7b1c3a' });
    const [aliceImage, bobImage] = [await uploadSame(alice, bytes), await uploadSame(bob, bytes)];
    h.fake.reset();
    // Bob's call stays in flight until Alice's own call has reached the endpoint too.
    h.fake.holdReplies();
    try {
      const bobs = bob.request(AskQuestionDocument, { imageId: bobImage, question: 'In flight?' });
      await expect.poll(() => h.fake.requests.length, { timeout: 20_000 }).toBe(1);
      const alices = alice.request(AskQuestionDocument, { imageId: aliceImage, question: 'In flight?' });
      await expect.poll(() => h.fake.requests.length, { timeout: 20_000 }).toBe(2);
      h.fake.releaseReplies();
      expect((await alices).data!.askQuestion.cached).toBe(false);
      expect((await bobs).data!.askQuestion.cached).toBe(false);
      expect(h.fake.requests).toHaveLength(2);
    } finally {
      h.fake.releaseReplies();
    }
  });
});
