import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportLinks } from '../../src/modules/exports/export-links.js';
import { UrlSigner } from '../../src/modules/images/url-signing.js';
import { GraphQLClient } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { uploadNew } from '../support/flows.js';
import { expectRefusal, fetchImage, mintUrls, originOf, signByHand } from '../support/image-urls.js';

// Issue 21, point 4: a signed export link is its key's, checked again each time
// it is followed (revoked key, erased tenant, a gateway closed since); and no
// signed link outlives IMAGE_URL_TTL_SECONDS, even with a genuine signature.

const SECRET = 'signed-link-limits-secret-0123456789abcdef';
const TTL = 3600;
const now = () => Math.floor(Date.now() / 1000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { URL_SIGNING_SECRET: SECRET, IMAGE_URL_TTL_SECONDS: String(TTL) } });
});
afterAll(() => h.close());

const keyed = (key: string) => new GraphQLClient(h.gateway.server.url, { authorization: `Bearer ${key}` });

/** An image of the client's with one stored answer, and an exportUrl link to its tenant's questions. */
async function answeredWithLink(client: GraphQLClient, question: string): Promise<string> {
  const image = await uploadNew(client, { format: 'png', width: 20, height: 14 });
  const asked = await client.request('mutation($id: ID!, $q: String!) { askQuestion(imageId: $id, question: $q) { id } }', { id: image.id, q: question });
  expect(asked.errors).toBeUndefined();
  const minted = await client.request<{ exportUrl: string }>('{ exportUrl(kind: QUESTIONS, format: CSV) }');
  expect(minted.errors).toBeUndefined();
  return minted.data!.exportUrl;
}

async function expectLinkRefused(link: string, message: RegExp): Promise<void> {
  const response = await fetch(link);
  expect(response.status).toBe(403);
  const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
  expect(body.errors.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
  expect(body.errors[0]!.message).toMatch(message);
}

describe('export links follow their key', () => {
  it('stop serving a link minted while the gateway ran open once keys are required', async () => {
    const link = await answeredWithLink(h.gateway.client, 'Open mode?');
    expect((await fetch(link)).status).toBe(200);
    await h.gateway.app.services.keys.create({ tenant: 'first' });
    await expectLinkRefused(link, /before the gateway required API keys/);
  });

  it('stop serving rows once the minting key is revoked', async () => {
    const { record, key } = await h.gateway.app.services.keys.create({ tenant: 'alice' });
    const link = await answeredWithLink(keyed(key), 'Revoked later?');
    const served = await fetch(link);
    expect(served.status).toBe(200);
    expect(await served.text()).toContain('Revoked later?');
    await h.gateway.app.services.keys.revoke(record.id);
    await expectLinkRefused(link, /revoked/);
  });

  it('stop serving once the minting key’s tenant is erased, whatever its rows become', async () => {
    const { key } = await h.gateway.app.services.keys.create({ tenant: 'bob' });
    const link = await answeredWithLink(keyed(key), 'Erased later?');
    expect((await fetch(link)).status).toBe(200);
    await h.gateway.app.services.deletion.deleteTenant('bob');
    // A tenant of the same name made again: its new key cannot revive the old link.
    await h.gateway.app.services.keys.create({ tenant: 'bob' });
    await expectLinkRefused(link, /revoked \(or its tenant erased\)/);
  });

  it('keep serving while the key is valid, as minted', async () => {
    const { key } = await h.gateway.app.services.keys.create({ tenant: 'carol' });
    const link = await answeredWithLink(keyed(key), 'Still valid?');
    expect(await (await fetch(link)).text()).toContain('Still valid?');
  });
});

describe('no signed link outlives IMAGE_URL_TTL_SECONDS', () => {
  let client: GraphQLClient;
  beforeAll(async () => {
    client = keyed((await h.gateway.app.services.keys.create({ tenant: 'dave' })).key);
  });

  it('refuses image and thumbnail URLs with a genuine far-future expiry', async () => {
    const image = await uploadNew(client, { format: 'png', width: 30, height: 20 });
    const origin = originOf(h.gateway);
    const minted = await mintUrls(client, image.id, 64);
    expect((await fetchImage(minted.url)).response.status).toBe(200);
    const tenYears = now() + 10 * 365 * 24 * 3600;
    expect(await expectRefusal(signByHand(origin, SECRET, image.id, tenYears), 403, 'FORBIDDEN')).toMatch(/IMAGE_URL_TTL_SECONDS/);
    expect(await expectRefusal(signByHand(origin, SECRET, image.id, tenYears, 64), 403, 'FORBIDDEN')).toMatch(/IMAGE_URL_TTL_SECONDS/);
    // Within the TTL, the same hand-signed URL is served.
    expect((await fetchImage(signByHand(origin, SECRET, image.id, now() + TTL / 2))).response.status).toBe(200);
  });

  it('refuses an export link signed with the secret for longer than the TTL', async () => {
    const link = await answeredWithLink(client, 'For ever?');
    const { searchParams } = new URL(link);
    const [tenant, apiKeyId] = JSON.parse(Buffer.from(searchParams.get('as')!, 'base64url').toString('utf8')) as [string, string];
    const forever = new ExportLinks(new UrlSigner(SECRET, 7 * 24 * 3600)).mint(originOf(h.gateway), { tenant, apiKeyId }, { kind: 'questions', format: 'csv', params: {} });
    await expectLinkRefused(forever, /IMAGE_URL_TTL_SECONDS/);
  });
});
