import { getNamedType, GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type { NonEmptyArray } from 'type-graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGatewaySchema } from '../../src/modules/index.js';
import { buildSchemaOf, type ResolverClass } from '../../src/platform/graphql/schema.js';
import { ANSWER_KINDS, RESULT_KINDS } from '../../src/modules/vision/kinds/index.js';
import { kindResolvers } from '../../src/modules/vision/index.js';

// A kind registered by its one line must come with all its parts: the Image
// field, the stored list with its results' image, the JobItemKind value and
// the usage description. A kind whose folder lacks one fails here.

const objectType = (schema: GraphQLSchema, name: string) => schema.getType(name) as GraphQLObjectType;

let gateway: GraphQLSchema;
beforeAll(async () => {
  gateway = await buildGatewaySchema();
});

describe.each(RESULT_KINDS.map((kind) => [kind.name]))('the registered kind %s', (name) => {
  it('is an answer kind, a JobItemKind value, and named in the usage kind description', () => {
    expect(ANSWER_KINDS).toContain(name);
    expect((gateway.getType('JobItemKind') as GraphQLEnumType).getValues().map((v) => v.name)).toContain(name);
    expect((gateway.getType('UsageFilter') as GraphQLInputObjectType).getFields().kind!.description).toContain(name);
  });

  it('has an Image field, a stored list of the same type whose results have their image, all in the gateway schema', async () => {
    const own = await buildSchemaOf(kindResolvers.get(name) as NonEmptyArray<ResolverClass>);
    const lists = Object.values(own.getQueryType()!.getFields()).filter((field) => getNamedType(field.type).name.endsWith('Connection'));
    expect(lists).toHaveLength(1);
    const node = getNamedType(objectType(own, getNamedType(lists[0]!.type).name).getFields().edges!.type);
    const result = getNamedType((node as GraphQLObjectType).getFields().node!.type).name;
    const imageFields = Object.values(objectType(own, 'Image').getFields()).filter((field) => getNamedType(field.type).name === result);
    expect(imageFields).toHaveLength(1);
    expect(getNamedType(objectType(own, result).getFields().image!.type).name).toBe('Image');
    expect(objectType(gateway, 'Image').getFields()[imageFields[0]!.name]).toBeDefined();
    expect(gateway.getQueryType()!.getFields()[lists[0]!.name]).toBeDefined();
  });
});

it('lists the kinds in the order of JobItemKind: the answers module’s own first', () => {
  expect((gateway.getType('JobItemKind') as GraphQLEnumType).getValues().map((v) => v.name)).toEqual(ANSWER_KINDS);
  expect(ANSWER_KINDS.slice(0, 2)).toEqual(['CAPTION', 'QUESTION']);
});
