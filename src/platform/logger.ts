import { pino, type Logger } from 'pino';
import { requestLogMixin } from './http/request-context.js';

export type { Logger };

/**
 * JSON lines on stdout. Keys and image bytes are never passed to it; `redact` is a second fence.
 * Written asynchronously: a request's reply never waits for its log line's write(2) (on Node 24 the
 * synchronous write was a tenth of a cached answer's CPU). Lines still buffered are flushed on exit,
 * a crash included; only a SIGKILL or a power cut can lose the last few.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      // Lines logged while serving a request (services, jobs started by it) carry its reqId.
      mixin: requestLogMixin,
      redact: { paths: ['*.authorization', '*.apiKey', 'req.headers.authorization', '*.data'], censor: '[redacted]' },
    },
    pino.destination({ dest: 1, sync: false }),
  );
}
