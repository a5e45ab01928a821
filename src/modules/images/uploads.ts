import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import { isUploadParserError, toUploadError } from '../../platform/graphql/upload-errors.js';
import type { OpenUpload } from './image.service.js';
import type { Upload } from '../../platform/graphql/scalars.js';

/**
 * Adapts a multipart Upload to the service's stream opener. type-graphql
 * awaits a promise argument itself, so a single file arrives already resolved;
 * a list arrives as promises.
 */
export function openUpload(upload: Upload | FileUpload): OpenUpload {
  return async (): Promise<Readable> => {
    try {
      return (await upload).createReadStream();
    } catch (error) {
      throw isUploadParserError(error) ? toUploadError(error) : error;
    }
  };
}

/**
 * Drains files the service never opened (a batch stops at its first bad file),
 * so the multipart parser reaches the end of the body instead of stalling on them.
 */
export function discardUnread(uploads: ReadonlyArray<Upload | FileUpload>): void {
  for (const upload of uploads) {
    Promise.resolve(upload)
      .then((file) => file.createReadStream().resume())
      .catch(() => undefined); // already read, or never sent: nothing to drain
  }
}
