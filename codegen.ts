import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the operations clients (and the tests) send, checked
 * against the committed SDL. Run `npm run codegen` after changing either.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['test/operations/**/*.graphql'],
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars: { DateTime: 'string', Upload: 'unknown' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
