import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import { GatewayError } from '../errors.js';
import type { OpenUpload } from '../services/image-service.js';
import type { Upload } from './scalars.js';

/** The multipart parser rejects uploads with http-errors objects (status + expose). */
export function isUploadParserError(error: unknown): error is Error & { status: number } {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number' && (error as { expose?: unknown }).expose === true;
}

export function toUploadError(error: Error & { status: number }): GatewayError {
  if (error.status === 413) return new GatewayError('PAYLOAD_TOO_LARGE', error.message, { cause: error });
  return new GatewayError('BAD_USER_INPUT', `The upload could not be read: ${error.message}`, { cause: error, httpStatus: 400 });
}

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
