import type { ApolloServerPlugin } from '@apollo/server';
import { GatewayError } from '../errors.js';
import { toGraphQLError } from './error-formatter.js';

/** Subscriptions run over graphql-ws only; over HTTP they would fail deep in execution as an internal error. */
export function subscriptionsOverWebSocketOnly<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ operation }) => {
        if (operation?.operation !== 'subscription') return;
        throw toGraphQLError(new GatewayError('BAD_REQUEST', 'Subscriptions are served over WebSocket (graphql-ws) at this same URL, not over HTTP.', { failsRequest: true }));
      },
    }),
  };
}
