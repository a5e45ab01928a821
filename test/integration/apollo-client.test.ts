import { ApolloClient, ApolloLink, CombinedGraphQLErrors, gql, HttpLink, InMemoryCache } from '@apollo/client';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/gateway.js';
import { makeImage } from '../support/images.js';

// The gateway as Apollo Client 4 (the most used GraphQL client in browsers) sees it:
// refusals made before GraphQL runs (401, 413, 429, CSRF) must arrive as GraphQL
// errors with extensions.code, not as a ServerError with the code buried in bodyText.

const IMAGES = gql`
  query Images {
    images(first: 5) {
      edges {
        node {
          id
        }
      }
    }
  }
`;
const UPLOAD = gql`
  mutation Upload($files: [Upload!]!) {
    uploadImages(files: $files) {
      id
      width
    }
  }
`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { MAX_UPLOAD_FILES: '2' } });
});
afterAll(() => h.close());

function apollo(link: ApolloLink) {
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const httpClient = (headers: Record<string, string> = {}) => apollo(new HttpLink({ uri: h.gateway.server.url, headers }));
const uploadClient = (headers: Record<string, string>) => apollo(new UploadHttpLink({ uri: h.gateway.server.url, headers }));

/** The codes of the GraphQL errors a rejected Apollo operation carries (fails the test for any other error). */
async function codesOf(operation: Promise<unknown>): Promise<unknown[]> {
  const error = await operation.then(
    () => expect.fail('the operation should have been refused'),
    (e: unknown) => e,
  );
  expect(CombinedGraphQLErrors.is(error), String(error)).toBe(true);
  return (error as CombinedGraphQLErrors).errors.map((e) => e.extensions?.code);
}

const pngFile = async (name: string) => new File([await makeImage({ format: 'png', width: 24, height: 16 })], name, { type: 'image/png' });

describe('Apollo Client 4 against the gateway', () => {
  it('uploads through apollo-upload-client with the preflight header', async () => {
    const result = await uploadClient({ 'Apollo-Require-Preflight': 'true' }).mutate({ mutation: UPLOAD, variables: { files: [await pngFile('a.png')] } });
    expect(result.data).toMatchObject({ uploadImages: [{ width: 24 }] });
  });

  it('reads the CSRF refusal of an upload without the preflight header as BAD_REQUEST', async () => {
    expect(await codesOf(uploadClient({}).mutate({ mutation: UPLOAD, variables: { files: [await pngFile('b.png')] } }))).toEqual(['BAD_REQUEST']);
  });

  it('reads 413 (too many files) as PAYLOAD_TOO_LARGE', async () => {
    const files = await Promise.all(['1', '2', '3'].map((n) => pngFile(`${n}.png`)));
    expect(await codesOf(uploadClient({ 'Apollo-Require-Preflight': 'true' }).mutate({ mutation: UPLOAD, variables: { files } }))).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('reads 429 as RATE_LIMITED and 401 as UNAUTHENTICATED', async () => {
    const { key } = await h.gateway.app.services.keys.create({ tenant: 'spa', requestsPerMinute: 1 });
    const keyed = httpClient({ authorization: `Bearer ${key}` });
    await keyed.query({ query: IMAGES, fetchPolicy: 'no-cache' });
    expect(await codesOf(keyed.query({ query: IMAGES, fetchPolicy: 'no-cache' }))).toEqual(['RATE_LIMITED']);
    // A key now exists, so the gateway has left open mode: no key, no service.
    expect(await codesOf(httpClient().query({ query: IMAGES, fetchPolicy: 'no-cache' }))).toEqual(['UNAUTHENTICATED']);
  });
});
