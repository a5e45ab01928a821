import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, wsClient } from '../support/client.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

// A client's mistakes get the same code over graphql-ws as over HTTP, never
// INTERNAL_SERVER_ERROR (the one code the formatter logs at error level).

let g: TestGateway;
beforeAll(async () => {
  g = await startGateway();
});
afterAll(() => g.stop());

const MISTAKES: Array<{ name: string; query: string; variables?: Record<string, unknown>; operationName?: string; code: string }> = [
  { name: 'a variable of the wrong type', query: 'query($n: Int) { images(first: $n) { edges { cursor } } }', variables: { n: 'abc' }, code: 'BAD_USER_INPUT' },
  { name: 'an Upload given as an object', query: 'mutation($f: Upload!) { uploadImage(file: $f) { id } }', variables: { f: { a: 1 } }, code: 'BAD_USER_INPUT' },
  { name: 'a required variable missing', query: 'query($id: ID!) { image(id: $id) { id } }', variables: {}, code: 'BAD_USER_INPUT' },
  { name: 'several operations and no operationName', query: 'query A { __typename } query B { __typename }', code: 'OPERATION_RESOLUTION_FAILURE' },
  { name: 'an unknown operationName', query: 'query A { __typename }', operationName: 'Nope', code: 'OPERATION_RESOLUTION_FAILURE' },
];

function overWebSocket(query: string, variables: Record<string, unknown> = {}, operationName?: string): Promise<unknown> {
  const client = wsClient(g.server.url);
  return new Promise<unknown>((resolve) => {
    const results: unknown[] = [];
    client.subscribe({ query, variables, operationName }, { next: (r) => results.push(r), error: (e) => resolve(e), complete: () => resolve(results) });
  }).finally(() => client.dispose());
}

const codesIn = (outcome: unknown) =>
  (Array.isArray(outcome) ? outcome : [outcome]).flatMap((item: { errors?: Array<{ extensions?: { code?: string } }>; extensions?: { code?: string } }) =>
    item.errors ? item.errors.map((e) => e.extensions?.code) : [item.extensions?.code],
  );

describe('client mistakes', () => {
  it.each(MISTAKES)('$name: the same code over HTTP and graphql-ws', async ({ query, variables, operationName, code }) => {
    const http = await fetch(g.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables, operationName }) });
    expect(errorCodes({ status: http.status, ...((await http.json()) as object) })).toEqual([code]);
    expect(codesIn(await overWebSocket(query, variables, operationName))).toEqual([code]);
  });

  it('answers automatic persisted queries with APQ codes, not internal errors', async () => {
    const post = async (body: unknown) => {
      const response = await fetch(g.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, ...((await response.json()) as object) };
    };
    expect(errorCodes(await post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(errorCodes(await post({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }))).toEqual(['BAD_REQUEST']);
    expect(errorCodes(await post({ extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } }))).toEqual(['BAD_REQUEST']);
  });
});

