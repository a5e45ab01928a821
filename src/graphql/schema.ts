import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { CodedErrors } from './error-middleware.js';
import { CaptionImageResolver, CaptionResolver, QuestionImageResolver, QuestionResolver } from './resolvers/answer-resolvers.js';
import { ImageResolver } from './resolvers/image.resolver.js';
import { ImageUrlResolver } from './resolvers/image-url.resolver.js';
import { JobItemResolver, JobResolver } from './resolvers/job.resolver.js';

/**
 * type-graphql insists on a topic PubSub once any subscription exists, but
 * every subscription here has its own `subscribe` over JobEvents (race-free,
 * completing streams), so topic subscriptions are a programming error.
 */
const NO_TOPIC_SUBSCRIPTIONS: PubSub = {
  publish: () => {
    throw new Error('topic subscriptions are not used: give @Subscription a subscribe function');
  },
  subscribe: () => {
    throw new Error('topic subscriptions are not used: give @Subscription a subscribe function');
  },
};

export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [ImageResolver, ImageUrlResolver, CaptionResolver, CaptionImageResolver, QuestionResolver, QuestionImageResolver, JobResolver, JobItemResolver],
    globalMiddlewares: [CodedErrors],
    pubSub: NO_TOPIC_SUBSCRIPTIONS,
    validate: false, // arguments are validated by the services, with the contract's codes
  });
}

/** The SDL committed as schema/schema.graphql. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(schema).trim()}\n`;
}
