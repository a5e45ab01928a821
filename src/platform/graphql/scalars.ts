import { GraphQLDateTime } from 'graphql-scalars';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';

/** `scalar DateTime` of the contract: ISO-8601 strings. */
export const DateTimeScalar = GraphQLDateTime;

/** `scalar Upload` of the GraphQL multipart request spec. */
export const UploadScalar = GraphQLUpload;

export type Upload = Promise<FileUpload>;
