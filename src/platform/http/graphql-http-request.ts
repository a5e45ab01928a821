import type { GatewayError } from '../errors.js';

/** What the checks before Apollo (trusted documents, operation size) read and answer on POST /graphql (graphql-route.ts). */

/** A GraphQL request as Apollo reads it: the method, the URL's search (GET parameters) and the parsed body. */
export interface GraphqlHttpRequest {
  method: string;
  search: string;
  body: unknown;
}

/** Why a request is answered before Apollo sees it. */
export interface RequestRefusal {
  refused: true;
  error: GatewayError;
}
