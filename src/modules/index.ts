import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import type { NonEmptyArray } from 'type-graphql';
import type { Services } from '../app-types.js';
import type { GatewayModule } from '../platform/gateway.js';
import { buildSchemaOf, type ResolverClass } from '../platform/graphql/schema.js';
// Imported first, as before the move: type-graphql orders fields as their decorators run.
import { answersModule } from './answers/index.js';
import { imagesModule } from './images/index.js';
import { jobsModule } from './jobs/index.js';
import { conversationsModule } from './conversations/index.js';
import { visionModule } from './vision/index.js';
import { lifecycleModule } from './lifecycle/index.js';
import { analyticsModule } from './analytics/index.js';
import { exportsModule } from './exports/index.js';
import { webhooksModule } from './webhooks/index.js';
import { nearDuplicatesModule } from './near-duplicates/index.js';
import { openAiCompatModule } from './openai-compat/index.js';

/**
 * The one list of capabilities: the schema is built from their resolvers and
 * the server mounts their routes, in this order. A new capability is a folder
 * beside these and one line here, its provider one call in createApp. (access,
 * engine and imports add no fields or routes of their own: the composition
 * root hands what they provide to the others.)
 */
export const modules: ReadonlyArray<GatewayModule<Services>> = [imagesModule, answersModule, jobsModule, conversationsModule, visionModule, lifecycleModule, analyticsModule, exportsModule, webhooksModule, nearDuplicatesModule, openAiCompatModule];

export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchemaOf(modules.flatMap((module) => module.resolvers) as NonEmptyArray<ResolverClass>);
}
