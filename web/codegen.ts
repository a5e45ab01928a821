import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

/**
 * Types for the console's operations (the `graphql()` calls in web/src),
 * checked against the committed SDL with GraphQL Code Generator's client
 * preset. `npm run codegen` runs it; a test fails when web/src/gql is stale.
 *
 * `persistedDocuments` writes web/src/gql/persisted-documents.json (sha256 →
 * document) and puts each hash on its document, which the console sends
 * instead of the text (web/src/apollo.ts); web/build.ts ships the manifest
 * with the build and the gateway trusts it, so the console keeps working
 * under PERSISTED_DOCUMENTS_ONLY. The documents get the `__typename`s Apollo
 * Client's cache adds, since the gateway runs the manifest's text, not the client's.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'web/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
      documentTransforms: [addTypenameSelectionDocumentTransform],
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
