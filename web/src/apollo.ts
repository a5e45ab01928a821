import { ApolloClient, ApolloLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { relayStylePagination } from '@apollo/client/utilities';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import { createClient } from 'graphql-ws';
import { authorization, webSocketUrl } from './api-key';

/** The hash GraphQL Code Generator put on each `graphql()` document (web/codegen.ts, `persistedDocuments`). */
function documentHash(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  // Thrown, the link sends the document's text instead (refused under PERSISTED_DOCUMENTS_ONLY).
  if (!hash) throw new Error('an operation not written with graphql() has no persisted-document hash');
  return hash;
}

export interface GatewayClient {
  client: ApolloClient;
  /** Closes the WebSocket and stops the client (the key changed, or the page goes). */
  dispose(): void;
}

/**
 * One Apollo Client per API key: the key goes in the Authorization header over
 * HTTP and in connectionParams over graphql-ws, so changing it means a new
 * client, a new socket and an empty cache (another key may be another tenant).
 * Same origin only: relative /graphql and ws(s)://<this host>/graphql.
 */
export function createGatewayClient(apiKey: string): GatewayClient {
  const auth = authorization(apiKey);
  // CSRF prevention: multipart uploads (and any GET) must carry this header.
  const http = new UploadHttpLink({ uri: '/graphql', headers: { 'Apollo-Require-Preflight': 'true', ...auth } });
  const sockets = createClient({ url: webSocketUrl(), connectionParams: auth, lazy: true });
  // Operations are sent by the hash of the console's own manifest, which the gateway trusts
  // (also under PERSISTED_DOCUMENTS_ONLY): over HTTP without their text, over graphql-ws beside it.
  const persisted = new PersistedQueryLink({ generateHash: documentHash });
  const client = new ApolloClient({
    link: persisted.concat(ApolloLink.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, new GraphQLWsLink(sockets), http)),
    cache: new InMemoryCache({
      typePolicies: {
        Query: {
          fields: {
            images: relayStylePagination(),
            questions: relayStylePagination(['filter']),
            captions: relayStylePagination(['filter']),
            moderations: relayStylePagination(['filter']),
            texts: relayStylePagination(['filter']),
            detections: relayStylePagination(['filter']),
            conversations: relayStylePagination(),
          },
        },
        Conversation: {
          fields: {
            // Keyed by page size: the list's first message (first: 1) is not the chat's page (first: 100).
            messages: relayStylePagination(['first']),
          },
        },
      },
    }),
  });
  return {
    client,
    dispose: () => {
      client.stop();
      void sockets.dispose();
    },
  };
}
