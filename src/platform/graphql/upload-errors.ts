import { GatewayError } from '../errors.js';

/** The multipart parser rejects uploads with http-errors objects (status + expose). */
export function isUploadParserError(error: unknown): error is Error & { status: number } {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number' && (error as { expose?: unknown }).expose === true;
}

export function toUploadError(error: Error & { status: number }): GatewayError {
  if (error.status === 413) return new GatewayError('PAYLOAD_TOO_LARGE', error.message, { cause: error });
  return new GatewayError('BAD_USER_INPUT', `The upload could not be read: ${error.message}`, { cause: error, failsRequest: true });
}
