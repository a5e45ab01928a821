import 'reflect-metadata';
import { printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type NonEmptyArray, type PubSub } from 'type-graphql';
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

/**
 * Plain data fields (no resolver of their own) resolve as graphql-js resolves
 * them by default, a property read. Otherwise type-graphql wraps each in the
 * global middlewares: an async call and a promise for every field of every
 * object returned, 7% of a cached answer's CPU, for a property read that
 * cannot throw a coded error. Queries, mutations, subscriptions and field
 * resolvers keep CodedErrors. Every object type, those declared later included.
 */
function resolvePlainFieldsDirectly(): void {
  for (const type of getMetadataStorage().objectTypes) type.simpleResolvers ??= true;
}

/** The schema of the given resolvers; the modules' registrations list them (src/modules/index.ts). */
export function buildSchemaOf(resolvers: NonEmptyArray<ResolverClass>): Promise<GraphQLSchema> {
  resolvePlainFieldsDirectly();
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
