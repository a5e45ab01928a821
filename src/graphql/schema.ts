import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { CodedErrors } from './error-middleware.js';
import { CaptionImageResolver, CaptionResolver, QuestionImageResolver, QuestionResolver } from './resolvers/answer-resolvers.js';
import { ImageResolver } from './resolvers/image.resolver.js';

export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [ImageResolver, CaptionResolver, CaptionImageResolver, QuestionResolver, QuestionImageResolver],
    globalMiddlewares: [CodedErrors],
    validate: false, // arguments are validated by the services, with the contract's codes
  });
}

/** The SDL committed as schema/schema.graphql. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(schema).trim()}\n`;
}
