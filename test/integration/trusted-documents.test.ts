import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleManifest } from '../../src/platform/graphql/trusted-documents.js';
import { WEB_DIST } from '../../src/platform/http/web-pages.js';
import { errorCodes, wsClient, type GraphQLResponse } from '../support/client.js';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';

// Issue 27, point 1: trusted documents. A manifest as GraphQL Code Generator's client preset
// writes it ({"sha256:<hex>": "<document>"}) from PERSISTED_DOCUMENTS; requests name a document by
// documentId or by Apollo's sha256Hash; PERSISTED_DOCUMENTS_ONLY refuses documents sent as text on
// every transport; the console's own manifest is trusted too; APQ keeps working when ONLY is off.

const hexOf = (text: string) => createHash('sha256').update(text).digest('hex');

const IMAGES = 'query FirstImages($first: Int!) { images(first: $first) { edges { node { id width } } } }';
const UPLOAD = 'mutation Upload($file: Upload!) { uploadImage(file: $file) { id width } }';
const SUBMIT = 'mutation Submit($imageIds: [ID!]!) { submitAnalysis(input: {imageIds: $imageIds, captionStyles: [BRIEF]}) { id } }';
const COMPLETED = 'subscription Completed($id: ID!) { jobCompleted(id: $id) { id status done } }';
const LISTED = [IMAGES, UPLOAD, SUBMIT, COMPLETED];
/** Never listed: a free-form document. */
const FREE_FORM = '{ images(first: 1) { edges { node { id } } } }';

const idOf = (document: string) => `sha256:${hexOf(document)}`;

let folder: string;
let manifestFile: string;

async function post(h: Harness, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse<Record<string, unknown>>> {
  const response = await fetch(h.gateway.server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, ...((await response.json()) as object) };
}

async function get(h: Harness, params: Record<string, string>): Promise<GraphQLResponse<Record<string, unknown>>> {
  const url = `${h.gateway.server.url}?${new URLSearchParams(params).toString()}`;
  // GET runs queries only, and only with the CSRF header (as today).
  const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true', accept: 'application/json' } });
  return { status: response.status, ...((await response.json()) as object) };
}

/** A GraphQL multipart upload whose `operations` is `operations` (documentId or query) and whose file is a PNG. */
async function upload(h: Harness, operations: Record<string, unknown>): Promise<GraphQLResponse<{ uploadImage: { id: string; width: number } }>> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ ...operations, variables: { file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  const png = await makeImage({ format: 'png', width: 64, height: 48, color: `#${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')}` });
  form.append('0', new Blob([png], { type: 'image/png' }), 'photo.png');
  const response = await fetch(h.gateway.server.url, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
  return { status: response.status, ...((await response.json()) as object) };
}

beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'trusted-documents-'));
  manifestFile = path.join(folder, 'persisted-documents.json');
  await writeFile(manifestFile, JSON.stringify(Object.fromEntries(LISTED.map((document) => [idOf(document), document])), null, 2));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('trusted documents, free-form documents allowed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { PERSISTED_DOCUMENTS: manifestFile } });
  });
  afterAll(async () => h?.close());

  it('runs a listed document by documentId, by sha256Hash and by GET documentId', async () => {
    const uploaded = await upload(h, { documentId: idOf(UPLOAD) });
    expect(uploaded.errors).toBeUndefined();
    const expected = { images: { edges: [{ node: { id: uploaded.data!.uploadImage.id, width: 64 } }] } };
    expect((await post(h, { documentId: idOf(IMAGES), variables: { first: 1 } })).data).toEqual(expected);
    expect((await post(h, { extensions: { persistedQuery: { version: 1, sha256Hash: hexOf(IMAGES) } }, variables: { first: 1 } })).data).toEqual(expected);
    const byGet = await get(h, { documentId: idOf(IMAGES), variables: JSON.stringify({ first: 1 }) });
    expect(byGet).toMatchObject({ status: 200, data: expected });
  });

  it('answers an unknown documentId with PERSISTED_QUERY_NOT_FOUND, and still runs free-form documents', async () => {
    const unknown = await post(h, { documentId: `sha256:${'0'.repeat(64)}` });
    expect(errorCodes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(errorCodes(await post(h, { documentId: 'FirstImages' }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const free = await post(h, { query: FREE_FORM });
    expect(free.status).toBe(200);
    expect(free.errors).toBeUndefined();
  });

  it('keeps automatic persisted queries: an unknown hash, then registered with its document, then reused by hash alone', async () => {
    const document = '{ images(first: 2) { edges { cursor } } }';
    const persistedQuery = { version: 1, sha256Hash: hexOf(document) };
    expect(errorCodes(await post(h, { extensions: { persistedQuery } }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registered = await post(h, { query: document, extensions: { persistedQuery } });
    expect(registered.errors).toBeUndefined();
    expect(await post(h, { extensions: { persistedQuery } })).toEqual(registered);
  });
});

describe('trusted documents only (PERSISTED_DOCUMENTS_ONLY)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { PERSISTED_DOCUMENTS: manifestFile, PERSISTED_DOCUMENTS_ONLY: 'true' } });
  });
  afterAll(async () => h?.close());

  it('refuses a free-form document with HTTP 400 PERSISTED_QUERY_NOT_IN_LIST over POST, GET and multipart', async () => {
    const refusedPost = await post(h, { query: FREE_FORM });
    expect(refusedPost.status).toBe(400);
    expect(errorCodes(refusedPost)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    const refusedGet = await get(h, { query: FREE_FORM });
    expect(refusedGet.status).toBe(400);
    expect(errorCodes(refusedGet)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    const refusedUpload = await upload(h, { query: UPLOAD });
    expect(refusedUpload.status).toBe(400);
    expect(errorCodes(refusedUpload)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('refuses registering an unlisted automatic persisted query, and answers an unknown hash with PERSISTED_QUERY_NOT_FOUND', async () => {
    const persistedQuery = { version: 1, sha256Hash: hexOf(FREE_FORM) };
    expect(errorCodes(await post(h, { extensions: { persistedQuery } }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registration = await post(h, { query: FREE_FORM, extensions: { persistedQuery } });
    expect(registration.status).toBe(400);
    expect(errorCodes(registration)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('runs listed documents: an upload, a mutation and a subscription over graphql-ws, all by documentId', async () => {
    const uploaded = await upload(h, { documentId: idOf(UPLOAD) });
    expect(uploaded.errors).toBeUndefined();
    const imageId = uploaded.data!.uploadImage.id;
    const submitted = await post(h, { documentId: idOf(SUBMIT), variables: { imageIds: [imageId] } });
    expect(submitted.errors).toBeUndefined();
    const jobId = (submitted.data as { submitAnalysis: { id: string } }).submitAnalysis.id;

    const socket = wsClient(h.gateway.server.url);
    try {
      const events: unknown[] = [];
      // graphql-ws requires a string query: a payload naming its document sends ''.
      for await (const event of socket.iterate({ query: '', documentId: idOf(COMPLETED), variables: { id: jobId } } as { query: string })) events.push(event);
      expect(events).toEqual([{ data: { jobCompleted: { id: jobId, status: 'SUCCEEDED', done: 1 } } }]);

      const refused: unknown[] = [];
      await expect(async () => {
        for await (const event of socket.iterate({ query: COMPLETED.replace('Completed', 'Unlisted'), variables: { id: jobId } })) refused.push(event);
      }).rejects.toSatisfy((errors: unknown) => JSON.stringify(errors).includes('PERSISTED_QUERY_NOT_IN_LIST'));
      expect(refused).toEqual([]);
    } finally {
      await socket.dispose();
    }
  });

  it("trusts the web console's own manifest, shipped with its build", async () => {
    const shipped = consoleManifest(WEB_DIST);
    expect(shipped).toEqual(JSON.parse(await readFile(path.join('web', 'src', 'gql', 'persisted-documents.json'), 'utf8')));
    const [id] = Object.entries(shipped).find(([, document]) => document.startsWith('query ImageGrid('))!;
    const grid = await post(h, { documentId: id, variables: { first: 5, size: 64 } });
    expect(grid.errors).toBeUndefined();
    expect(grid.data).toHaveProperty('images.edges');
    // As the console sends it: Apollo Client's persisted-query link puts the manifest's hash in sha256Hash.
    const viaLink = await post(h, { operationName: 'ImageGrid', extensions: { persistedQuery: { version: 1, sha256Hash: id } }, variables: { first: 5, size: 64 } });
    expect(viaLink).toEqual(grid);
  });
});
