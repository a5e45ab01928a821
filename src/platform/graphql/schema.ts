import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type NonEmptyArray, type PubSub } from 'type-graphql';
import { CodedErrors } from './error-middleware.js';

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

/** A type-graphql resolver class, as `buildSchema` takes it. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type ResolverClass = Function;

/** The schema of the given resolvers; the modules' registrations list them (src/modules/index.ts). */
export function buildSchemaOf(resolvers: NonEmptyArray<ResolverClass>): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    globalMiddlewares: [CodedErrors],
    pubSub: NO_TOPIC_SUBSCRIPTIONS,
    validate: false, // arguments are validated by the services, with the contract's codes
  });
}

/** The SDL committed as schema/schema.graphql. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(schema).trim()}\n`;
}
