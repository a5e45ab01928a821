import type { MiddlewareFn } from 'type-graphql';
import { GatewayError } from '../errors.js';
import { databaseFull } from '../database/prisma-errors.js';
import { isUploadParserError, toUploadError } from './upload-errors.js';
import { toGraphQLError } from './error-formatter.js';

/**
 * Turns coded errors into GraphQLErrors carrying their code (and HTTP status
 * where the whole request was malformed), so Apollo and graphql-ws see the
 * same thing; formatError then only has to hide the unexpected.
 */
export const CodedErrors: MiddlewareFn = async (_action, next) => {
  try {
    return await next();
  } catch (error) {
    if (error instanceof GatewayError) throw toGraphQLError(error);
    if (isUploadParserError(error)) throw toGraphQLError(toUploadError(error));
    const full = databaseFull(error);
    if (full) throw toGraphQLError(full);
    throw error;
  }
};
