import { afterEach, describe, expect, it } from 'vitest';
import { AskQuestionDocument, GetImageDocument, ListImagesDocument, UploadImageDocument } from '../generated/graphql.js';
import { errorCodes, GraphQLClient } from '../support/client.js';
import { uploadNew } from '../support/flows.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { CLI_TEST_TIMEOUT, runCli, runCliOnTerminal } from '../support/operator-cli.js';

// The operator's first hour with keys and tenants (issue 22, point 4) and what
// `tenants delete` does to running gateways (issue 21, point 6). The CLIs run
// as processes of their own, on the gateway's data folder, as an operator runs them.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const as = (harness: Harness, key: string) => new GraphQLClient(harness.gateway.server.url, { authorization: `Bearer ${key}` });
const lastLine = (text: string) => text.trim().split('\n').at(-1)!;
const imageIds = async (client: GraphQLClient) => (await client.request(ListImagesDocument, { first: 100 })).data!.images.edges.map((e) => e.node.id);

describe('keys create without --tenant', () => {
  it('makes a key for the tenant open mode used, says so, and what was uploaded without a key stays visible', { timeout: CLI_TEST_TIMEOUT }, async () => {
    h = await startHarness();
    const uploaded = await uploadNew(h.gateway.client, { format: 'png', width: 24, height: 24, color: '#2f4f1f' });
    const created = await runCli('keys', ['create'], { DATA_DIR: h.gateway.dataDir });
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('no --tenant given: the key acts for tenant "default"');
    expect(created.stdout).toContain('for tenant "default"');
    expect(await imageIds(as(h, lastLine(created.stdout)))).toEqual([uploaded.id]);
  });
});

describe('tenants list and delete', () => {
  it('lists the tenants; refuses an unknown one, and asks before erasing (--yes, or typing its name on a terminal)', { timeout: 2 * CLI_TEST_TIMEOUT }, async () => {
    h = await startHarness({ env: { KEY_CACHE_SECONDS: '0' } });
    const env = { DATA_DIR: h.gateway.dataDir };
    const keys = h.gateway.app.services.keys;
    const alice = as(h, (await keys.create({ tenant: 'alice' })).key);
    await uploadNew(alice, { format: 'png', width: 20, height: 20, color: '#6a1f2f' });
    await keys.create({ tenant: 'bob' });

    const listed = await runCli('tenants', ['list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual([
      'alice\t1 active keys, 1 images, 0 results, 0 conversations, 0 jobs',
      'bob\t1 active keys, 0 images, 0 results, 0 conversations, 0 jobs',
    ]);

    const unknown = await runCli('tenants', ['delete', 'nobody', '--yes'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no tenant "nobody"');
    expect(unknown.stdout).not.toContain('erased');

    // stdin is not a terminal here (a script, a pipe): without --yes nothing is erased.
    const unconfirmed = await runCli('tenants', ['delete', 'alice'], env);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toContain('stdin is not a terminal');
    expect(unconfirmed.stderr).toContain('--yes');
    expect(await imageIds(alice)).toHaveLength(1);

    const prompt = /Type its name to confirm: /;
    const mistyped = await runCliOnTerminal('tenants', ['delete', 'alice'], env, { prompt, reply: 'alic' });
    expect(mistyped.stdout).toContain('Erase tenant "alice" (1 active keys, 1 images');
    expect(mistyped.code).not.toBe(0);
    expect(await imageIds(alice)).toHaveLength(1);

    const confirmed = await runCliOnTerminal('tenants', ['delete', 'alice'], env, { prompt, reply: 'alice' });
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toContain('erased tenant "alice"');
    expect(errorCodes(await alice.request(ListImagesDocument, {}))).toEqual(['UNAUTHENTICATED']);
    expect((await runCli('tenants', ['list'], env)).stdout.trim()).toBe('bob\t1 active keys, 0 images, 0 results, 0 conversations, 0 jobs');
  });
});

describe('tenants delete reaches a running gateway', () => {
  it('drops the tenant’s keys, images and answers from its memory within TENANT_ERASURE_CHECK_MS', { timeout: CLI_TEST_TIMEOUT }, async () => {
    // Keys are trusted from memory for an hour: only the erasure check can make the gateway forget one sooner.
    h = await startHarness({ env: { KEY_CACHE_SECONDS: '3600', TENANT_ERASURE_CHECK_MS: '100' } });
    const keys = h.gateway.app.services.keys;
    const acme = as(h, (await keys.create({ tenant: 'acme' })).key);
    const image = await uploadNew(acme, { format: 'png', width: 26, height: 26, color: '#1f6a4f' });
    expect((await acme.request(AskQuestionDocument, { imageId: image.id, question: 'Remembered?' })).errors).toBeUndefined();
    expect((await acme.request(GetImageDocument, { id: image.id })).data!.image).not.toBeNull();

    const erased = await runCli('tenants', ['delete', 'acme', '--yes'], { DATA_DIR: h.gateway.dataDir });
    expect(erased.code, erased.stderr).toBe(0); // the CLI's own words, should it fail
    // The event: the erased key is refused (a backstop deadline only; the check runs every 100 ms).
    await expect.poll(async () => (await acme.request(ListImagesDocument, {})).status, { timeout: 30_000, interval: 50 }).toBe(401);

    // A tenant of the same name, made afresh, inherits nothing from memory: not the image row, not the answer.
    const again = as(h, (await keys.create({ tenant: 'acme' })).key);
    expect((await again.request(GetImageDocument, { id: image.id })).data!.image).toBeNull();
    const reuploaded = (await again.upload(UploadImageDocument, { file: null }, [{ path: 'variables.file', file: { name: 'a.png', bytes: image.bytes } }])).data!.uploadImage;
    const asked = h.fake.requests.length;
    expect((await again.request(AskQuestionDocument, { imageId: reuploaded.id, question: 'Remembered?' })).data!.askQuestion.cached).toBe(false);
    expect(h.fake.requests).toHaveLength(asked + 1);
  });
});
