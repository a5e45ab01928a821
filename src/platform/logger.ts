import { pino, type Logger } from 'pino';
import { requestLogMixin } from './http/request-context.js';

export type { Logger };

/** JSON lines on stdout. Keys and image bytes are never passed to it; `redact` is a second fence. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    // Lines logged while serving a request (services, jobs started by it) carry its reqId.
    mixin: requestLogMixin,
    redact: { paths: ['*.authorization', '*.apiKey', 'req.headers.authorization', '*.data'], censor: '[redacted]' },
  });
}
