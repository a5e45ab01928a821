import { ModelCallError } from '../../model/model-call-error.js';
import { UndecodableImageError } from '../../model/upstream-image.js';
import { GatewayError } from '../../platform/errors.js';

/**
 * The edge between the provider boundary and the API: a ModelCallError
 * becomes the GatewayError clients see, with the same code, message and
 * retryAfter (the contract's MODEL_* codes); a stored image that does not
 * decode is the client's to replace (BAD_USER_INPUT). Any other error passes through.
 */
export function toApiError(error: Error): Error {
  if (error instanceof UndecodableImageError) return new GatewayError('BAD_USER_INPUT', error.message, { cause: error });
  if (!(error instanceof ModelCallError)) return error;
  return new GatewayError(error.code, error.message, {
    retryable: error.isRetryable,
    cause: error,
    extensions: error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter },
  });
}
