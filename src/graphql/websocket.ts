import type { Server } from 'node:http';
import type { GraphQLFormattedError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { App } from '../app.js';
import { createContext } from './context.js';

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface WebSocketEndpoint {
  /** Completes every subscription and closes the sockets with 1001 (going away). */
  close(): Promise<void>;
}

/**
 * graphql-ws on the HTTP server's /graphql path, with the same context and
 * error formatting as HTTP (Apollo's formatError does not run here by itself).
 */
export function attachWebSocket(httpServer: Server, app: App, formatError: ErrorFormatter): WebSocketEndpoint {
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1024 * 1024 });
  const format = (errors: readonly unknown[]) =>
    errors.map((error) => formatError((error as { toJSON?: () => GraphQLFormattedError }).toJSON?.() ?? { message: String(error) }, error));
  const cleanup = useServer(
    {
      schema: app.schema,
      context: () => createContext(app.services),
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wsServer,
  );
  return {
    close: async () => {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
