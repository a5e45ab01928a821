import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { UploadImageDocument, type ImageFieldsFragment } from '../generated/graphql.js';
import type { GraphQLClient } from './client.js';
import { makeImage, MIME, type MakeImageOptions } from './images.js';

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Makes an image, uploads it over multipart and returns the stored Image with its bytes. */
export async function uploadNew(client: GraphQLClient, options: MakeImageOptions): Promise<ImageFieldsFragment & { bytes: Buffer }> {
  const bytes = await makeImage(options);
  const response = await client.upload(UploadImageDocument, { file: null }, [
    { path: 'variables.file', file: { name: `image.${options.format}`, bytes, type: MIME[options.format] } },
  ]);
  expect(response.errors).toBeUndefined();
  return { ...response.data!.uploadImage, bytes };
}

/** Every file below a folder (relative paths), or [] when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}
