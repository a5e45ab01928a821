import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * The origin URLs minted for a client start with: PUBLIC_URL when the operator
 * set it (behind a proxy the request cannot know it), otherwise the host the
 * client itself addressed, so a URL works wherever the request came from.
 * One rule for HTTP requests and WebSocket upgrades.
 */
export function baseUrlOf(request: IncomingMessage, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl;
  const scheme = (request.socket as TLSSocket).encrypted ? 'https' : 'http';
  return `${scheme}://${request.headers.host ?? 'localhost'}`;
}
