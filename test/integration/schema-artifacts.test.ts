import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import type { Types } from '@graphql-codegen/plugin-helpers';
import {
  buildSchema,
  isEnumType,
  isInputObjectType,
  isObjectType,
  isScalarType,
  print,
  type GraphQLArgument,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.js';
import { buildGatewaySchema } from '../../src/modules/index.js';
import { printGatewaySchema } from '../../src/platform/graphql/schema.js';

// The committed artifacts clients build against must be what the code
// produces: schema/schema.graphql (`npm run schema`) and the typed operations
// in test/generated/graphql.ts (`npm run codegen`). And the SDL must carry the
// names ARCHITECTURE.md fixes as the contract.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCHEMA_FILE = new URL('../../schema/schema.graphql', import.meta.url);
const REFRESH_HINT = 'is stale: run `npm run codegen` (it emits the schema, then the typed operations) and commit the result';

let builtSdl: string;
/** The built SDL, parsed again. */
let built: GraphQLSchema;
let committedSdl: string;

beforeAll(async () => {
  builtSdl = printGatewaySchema(await buildGatewaySchema());
  built = buildSchema(builtSdl);
  committedSdl = await readFile(SCHEMA_FILE, 'utf8');
});

describe('schema/schema.graphql', () => {
  it('is exactly the SDL the code builds', () => {
    expect(committedSdl, `schema/schema.graphql ${REFRESH_HINT}`).toBe(builtSdl);
  });
});

describe('test/generated/graphql.ts', () => {
  it('is exactly what codegen produces from the committed schema and test/operations', async () => {
    const outputs = (await generate({ ...codegenConfig, cwd: ROOT, silent: true } as Types.Config & { cwd: string }, false)) as Types.FileOutput[];
    const targets = Object.keys(codegenConfig.generates);
    expect(outputs.map((o) => o.filename).sort()).toEqual(targets.sort());
    for (const output of outputs) {
      const committed = await readFile(new URL(`../../${output.filename}`, import.meta.url), 'utf8').catch(() => '(missing)');
      expect(committed, `${output.filename} ${REFRESH_HINT}`).toBe(output.content);
    }
  }, 20_000);
});

/** The contract's names, read from the SDL the code builds (the committed one is checked equal above). */
describe('the SDL carries the contract of ARCHITECTURE.md', () => {
  const objectType = (name: string) => {
    const type = built.getType(name);
    expect(isObjectType(type), `type ${name}`).toBe(true);
    return type as GraphQLObjectType;
  };
  const field = (typeName: string, fieldName: string) => {
    const f = objectType(typeName).getFields()[fieldName];
    expect(f, `${typeName}.${fieldName}`).toBeDefined();
    return f!;
  };
  const arg = (typeName: string, fieldName: string, argName: string): GraphQLArgument => {
    const a = field(typeName, fieldName).args.find((x) => x.name === argName);
    expect(a, `${typeName}.${fieldName}(${argName})`).toBeDefined();
    return a!;
  };
  /** Type and default as SDL, e.g. `Int = 20`. */
  const argSdl = (a: GraphQLArgument) => {
    const def = a.astNode?.defaultValue;
    return `${String(a.type)}${def ? ` = ${print(def)}` : ''}`;
  };

  it('has the scalars Upload and DateTime', () => {
    for (const name of ['Upload', 'DateTime']) expect(isScalarType(built.getType(name)), `scalar ${name}`).toBe(true);
  });

  it('has enum CaptionStyle { BRIEF DETAILED ALT_TEXT }', () => {
    const type = built.getType('CaptionStyle');
    expect(isEnumType(type)).toBe(true);
    if (!isEnumType(type)) return;
    expect(type.getValues().map((v) => v.name).sort()).toEqual(['ALT_TEXT', 'BRIEF', 'DETAILED']);
  });

  it.each([
    ['Query', ['image', 'images', 'questions', 'captions']],
    ['Mutation', ['uploadImage', 'uploadImages', 'captionImage', 'askQuestion']],
  ] as const)('has %s fields %j', (typeName, names) => {
    for (const name of names) field(typeName, name);
  });

  it.each([
    ['Usage', { promptTokens: 'Int!', completionTokens: 'Int!', totalTokens: 'Int!' }],
    [
      'Image',
      {
        id: 'ID!', sha256: 'String!', mimeType: 'String!', width: 'Int!', height: 'Int!', byteSize: 'Int!', createdAt: 'DateTime!',
        caption: 'Caption', answer: 'Question', captions: '[Caption!]!', questions: '[Question!]!',
      },
    ],
    [
      'Caption',
      {
        id: 'ID!', image: 'Image!', style: 'CaptionStyle!', text: 'String!', model: 'String!', cached: 'Boolean!', usage: 'Usage!',
        latencyMs: 'Int!', createdAt: 'DateTime!',
      },
    ],
    [
      'Question',
      {
        id: 'ID!', image: 'Image!', prompt: 'String!', answer: 'String!', model: 'String!', cached: 'Boolean!', usage: 'Usage!',
        latencyMs: 'Int!', createdAt: 'DateTime!',
      },
    ],
  ] as const)('has type %s with the contract fields', (typeName, fields) => {
    const actual = objectType(typeName).getFields();
    for (const [name, type] of Object.entries(fields)) expect(String(actual[name]?.type), `${typeName}.${name}`).toBe(type);
  });

  it('has the contract signatures and argument defaults', () => {
    const expected: Record<string, Record<string, string>> = {
      'Query.image': { id: 'ID!' },
      'Query.images': { first: 'Int = 20', after: 'String' },
      'Query.questions': { filter: 'QuestionFilter', first: 'Int = 20', after: 'String' },
      'Query.captions': { filter: 'CaptionFilter', first: 'Int = 20', after: 'String' },
      'Mutation.uploadImage': { file: 'Upload!' },
      'Mutation.uploadImages': { files: '[Upload!]!' },
      'Mutation.captionImage': { imageId: 'ID!', style: 'CaptionStyle = BRIEF', refresh: 'Boolean = false' },
      'Mutation.askQuestion': { imageId: 'ID!', question: 'String!', refresh: 'Boolean = false' },
      'Image.caption': { style: 'CaptionStyle = BRIEF', refresh: 'Boolean = false' },
      'Image.answer': { question: 'String!', refresh: 'Boolean = false' },
    };
    for (const [path, args] of Object.entries(expected)) {
      const [typeName, fieldName] = path.split('.') as [string, string];
      // Extra arguments are fine only when optional: a new required one breaks existing clients.
      for (const a of field(typeName, fieldName).args) {
        if (!(a.name in args)) expect(String(a.type).endsWith('!') && a.defaultValue === undefined, `${path}(${a.name}) must be optional`).toBe(false);
      }
      for (const [name, sdl] of Object.entries(args)) expect(argSdl(arg(typeName, fieldName, name)), `${path}(${name})`).toBe(sdl);
    }
  });

  it('has the connection shape for images, questions and captions', () => {
    const returns: Record<string, [string, string]> = {
      images: ['ImageConnection!', 'Image!'],
      questions: ['QuestionConnection!', 'Question!'],
      captions: ['CaptionConnection!', 'Caption!'],
    };
    for (const [name, [connection, node]] of Object.entries(returns)) {
      expect(String(field('Query', name).type)).toBe(connection);
      const conn = connection.slice(0, -1);
      const edge = String(field(conn, 'edges').type).replace(/[[\]!]/g, '');
      expect(String(field(edge, 'cursor').type)).toBe('String!');
      expect(String(field(edge, 'node').type)).toBe(node);
      const pageInfo = String(field(conn, 'pageInfo').type).replace(/!$/, '');
      expect(String(field(pageInfo, 'hasNextPage').type)).toBe('Boolean!');
      expect(String(field(pageInfo, 'endCursor').type)).toBe('String');
    }
  });

  it('has the analytics filters', () => {
    const fieldsOf = (name: string) => {
      const type = built.getType(name);
      expect(isInputObjectType(type), `input ${name}`).toBe(true);
      return isInputObjectType(type) ? Object.fromEntries(Object.values(type.getFields()).map((f) => [f.name, String(f.type)])) : {};
    };
    const common = { imageId: 'ID', model: 'String', createdAfter: 'DateTime', createdBefore: 'DateTime' };
    expect(fieldsOf('QuestionFilter')).toMatchObject({ ...common, promptContains: 'String' });
    expect(fieldsOf('CaptionFilter')).toMatchObject({ ...common, style: 'CaptionStyle' });
  });

  it('is valid SDL on its own (the committed file parses into the same types)', () => {
    const reparsed = buildSchema(committedSdl);
    expect(Object.keys(reparsed.getTypeMap()).sort()).toEqual(Object.keys(built.getTypeMap()).sort());
  });
});
