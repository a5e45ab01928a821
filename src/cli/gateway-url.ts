import { InvalidArgumentError, Option } from 'commander';

/**
 * Where the command-line tools that talk to a running gateway (ingest, export)
 * find it: --url, else GATEWAY_URL, else `npm start` on this machine. One
 * default and one variable for all of them, and either form of the address
 * works: the gateway's root or its /graphql endpoint.
 */
export const DEFAULT_GATEWAY_URL = 'http://localhost:4000';

/** The gateway's root URL (no trailing slash, no /graphql), from either form. */
export function gatewayRoot(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url) throw new InvalidArgumentError(`not a URL (e.g. ${DEFAULT_GATEWAY_URL}).`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('use an http:// or https:// URL.');
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '').replace(/\/graphql$/, '');
}

/** The GraphQL endpoint (HTTP, and WebSocket on the same path) of a gateway root. */
export const graphqlEndpoint = (root: string): string => `${root}/graphql`;

/** `--url`, shared by every CLI that talks to a running gateway; its value is the gateway's root. */
export const gatewayUrlOption = (): Option =>
  new Option('--url <url>', 'the gateway: its address or its /graphql endpoint').env('GATEWAY_URL').default(DEFAULT_GATEWAY_URL).argParser(gatewayRoot);
