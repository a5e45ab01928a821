import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import accepts from 'accepts';
import type { RequestHandler } from 'express';
import { GatewayError } from '../errors.js';
import { sendRequestError } from './json-errors.js';
import { pageCsp, sendPage } from './web-pages.js';

/** A browser navigating here (Accept prefers text/html), not a GraphQL client (JSON, or no Accept). */
export const wantsPage = (req: IncomingMessage) => accepts(req).types(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';

/**
 * GET /graphql from a browser: GraphiQL from the gateway's own build (no CDN),
 * when EXPLORER is on (the default outside production). Off, a browser gets a
 * coded JSON 404 saying how to turn it on. Every other GET (GraphQL clients)
 * is served by the GraphQL route (graphql-route.ts), which never sends one here. GraphiQL reads the schema by introspection, which follows
 * the same switch.
 */
export function explorerRoute(options: { enabled: boolean; publicUrl: string | undefined }): RequestHandler {
  return (req, res, next) => {
    if (!wantsPage(req)) return next();
    if (!options.enabled) {
      return sendRequestError(
        req,
        res,
        new GatewayError(
          'NOT_FOUND',
          'The GraphQL explorer is off (EXPLORER=false, the default with NODE_ENV=production): set EXPLORER=true to serve GraphiQL here. POST GraphQL operations to /graphql; the schema is in schema/schema.graphql.',
        ),
      );
    }
    // A fresh nonce per response for the <style> GraphiQL's dialogs add (see pageCsp).
    const nonce = randomBytes(16).toString('base64');
    const withNonce = (html: string) => html.replace('<meta name="style-nonce" content="" />', `<meta name="style-nonce" content="${nonce}" />`);
    void sendPage(req, res, 'explorer.html', pageCsp(options.publicUrl, 'explorer', nonce), withNonce);
  };
}
