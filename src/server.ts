import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { App } from './app.js';
import { createErrorFormatter } from './errors.js';
import { createContext, type Context } from './graphql/context.js';
import { attachWebSocket } from './graphql/websocket.js';
import { jsonErrorHandler } from './http/json-errors.js';
import { multipartUploads } from './http/multipart.js';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Bytes allowed for a JSON request body or the multipart `operations` field. */
const DOCUMENT_BYTES = 1024 * 1024;

/** Express + Apollo + graphql-ws on one HTTP server; GraphQL at /graphql for HTTP and WebSocket. */
export async function startServer(app: App, port = app.config.port): Promise<RunningServer> {
  const expressApp = express();
  const httpServer = http.createServer(expressApp);
  const formatError = createErrorFormatter({
    includeStacktrace: app.config.env === 'development',
    logUnexpected: (error) => app.logger.error({ err: error }, 'unexpected error in a GraphQL operation'),
  });
  const webSocket = attachWebSocket(httpServer, app, formatError);
  const apollo = new ApolloServer<Context>({
    schema: app.schema,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: app.config.env === 'development',
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Subscriptions end (close code 1001) before the HTTP server drains.
      { serverWillStart: async () => ({ drainServer: () => webSocket.close() }) },
    ],
  });
  await apollo.start();

  expressApp.disable('x-powered-by');
  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.use(
    '/graphql',
    multipartUploads({ uploadBytes: app.config.limits.uploadBytes, uploadFiles: app.config.limits.uploadFiles, fieldBytes: DOCUMENT_BYTES }),
    express.json({ limit: DOCUMENT_BYTES }),
    expressMiddleware(apollo, { context: async () => createContext(app.services) }),
  );
  expressApp.use(jsonErrorHandler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, resolve);
  });
  const actualPort = (httpServer.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `http://localhost:${actualPort}/graphql`,
    close: () => apollo.stop(),
  };
}
