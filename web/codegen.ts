import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Types for the console's operations (the `graphql()` calls in web/src),
 * checked against the committed SDL with GraphQL Code Generator's client
 * preset. `npm run codegen` runs it; a test fails when web/src/gql is stale.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'web/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', Upload: 'File' },
        enumsAsTypes: true,
        useTypeImports: true,
        onlyOperationTypes: true,
      },
    },
  },
};

export default config;
