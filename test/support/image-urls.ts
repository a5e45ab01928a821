/** Signed image URLs as a browser meets them: fetched with no headers, minted over GraphQL, or signed by hand. */
import { expect } from 'vitest';
import { ORIGINAL_VARIANT, thumbnailVariant } from '../../src/modules/images/image-urls.js';
import { signGrant } from '../../src/modules/images/url-signing.js';
import { GetImageUrlsDocument } from '../generated/graphql.js';
import type { GraphQLClient } from './client.js';
import type { TestGateway } from './gateway.js';

export const originOf = (gateway: TestGateway) => new URL(gateway.server.url).origin;

/** The same path and query on another origin: a URL minted before a restart (new port) or behind PUBLIC_URL. */
export const onOrigin = (url: string, origin: string) => {
  const { pathname, search } = new URL(url);
  return `${origin}${pathname}${search}`;
};

/** Image.url and Image.thumbnailUrl(size) of an image the client can read. */
export async function mintUrls(client: GraphQLClient, id: string, size?: number): Promise<{ url: string; thumbnailUrl: string; defaultThumbnail: string }> {
  const response = await client.request(GetImageUrlsDocument, { id, size });
  expect(response.errors).toBeUndefined();
  return response.data!.image!;
}

/** A GET (or HEAD) as `<img src>` sends it: no key, only what the caller adds. */
export async function fetchImage(url: string, init: RequestInit = {}): Promise<{ response: Response; body: Buffer }> {
  const response = await fetch(url, init);
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

/** gateway_thumbnails_generated_total from GET /metrics: how many thumbnails this process rendered. */
export async function thumbnailsRendered(gateway: TestGateway): Promise<number> {
  const text = await (await fetch(`${originOf(gateway)}/metrics`)).text();
  const match = /^gateway_thumbnails_generated_total (\d+)$/m.exec(text);
  if (!match) throw new Error('gateway_thumbnails_generated_total missing from /metrics');
  return Number(match[1]);
}

/** A URL signed with a known secret, for expiries and ids the API would never mint. */
export function signByHand(origin: string, secret: string, imageId: string, expires: number, thumbnailSize?: number): string {
  const variant = thumbnailSize === undefined ? ORIGINAL_VARIANT : thumbnailVariant(thumbnailSize);
  const sig = signGrant(secret, { imageId, variant, expires });
  const query = new URLSearchParams({ ...(thumbnailSize === undefined ? {} : { size: String(thumbnailSize) }), exp: String(expires), sig });
  return `${origin}/images/${imageId}${thumbnailSize === undefined ? '' : '/thumbnail'}?${query}`;
}

/** The JSON error body every refusal carries, and that it is never cached. */
export async function expectRefusal(url: string, status: number, code: string): Promise<string> {
  const { response, body } = await fetchImage(url);
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  const parsed = JSON.parse(body.toString('utf8')) as { errors: Array<{ message: string; extensions: { code: string } }> };
  expect(parsed.errors.map((e) => e.extensions.code)).toEqual([code]);
  return parsed.errors[0]!.message;
}
