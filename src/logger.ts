import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout. Keys and image bytes are never passed to it; `redact` is a second fence. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    redact: { paths: ['*.authorization', '*.apiKey', 'req.headers.authorization', '*.data'], censor: '[redacted]' },
  });
}
