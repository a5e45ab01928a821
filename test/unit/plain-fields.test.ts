import { GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGatewaySchema } from '../../src/modules/index.js';

// Plain data fields are read as properties by graphql-js: only operations and field resolvers are
// wrapped (in CodedErrors). A field wrapped for nothing costs an async call on every object returned.

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

const objectTypes = () =>
  Object.values(schema.getTypeMap()).filter((type): type is GraphQLObjectType => type instanceof GraphQLObjectType && !type.name.startsWith('__'));

/** Type name → names of its fields that have a resolver of their own (@FieldResolver). */
function fieldResolvers(): Map<string, Set<string>> {
  const storage = getMetadataStorage();
  const nameOf = new Map(storage.objectTypes.map((type) => [type.target, type.name]));
  const byType = new Map<string, Set<string>>();
  for (const resolver of storage.fieldResolvers) {
    const typeName = nameOf.get(resolver.getObjectType!());
    if (typeName) byType.set(typeName, (byType.get(typeName) ?? new Set()).add(resolver.schemaName));
  }
  return byType;
}

describe('the gateway schema', () => {
  it('resolves a plain field by reading the property, and only operations and field resolvers through a function', () => {
    const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((type) => type?.name));
    const resolvers = fieldResolvers();
    const wrapped: string[] = [];
    for (const type of objectTypes()) {
      if (roots.has(type.name)) continue;
      for (const field of Object.values(type.getFields())) {
        if (field.resolve && !resolvers.get(type.name)?.has(field.name)) wrapped.push(`${type.name}.${field.name}`);
      }
    }
    expect(wrapped).toEqual([]);
  });

  it('keeps a resolver on the fields that have one', () => {
    const image = schema.getType('Image') as GraphQLObjectType;
    const withResolver = Object.values(image.getFields()).filter((field) => field.resolve).map((field) => field.name);
    expect(withResolver).toEqual(expect.arrayContaining([...(fieldResolvers().get('Image') ?? [])]));
    expect(withResolver.length).toBeGreaterThan(0);
    expect(image.getFields().width!.resolve).toBeUndefined();
    expect(Object.values(schema.getQueryType()!.getFields()).every((field) => field.resolve)).toBe(true);
  });
});
