import { pino } from 'pino';
import type { Logger } from '../../src/platform/logger.js';

/** One JSON log line, as pino writes it (level 50 = error, 30 = info). */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger whose lines a test can read back, to assert what the operator is told. */
export function captureLogs(level = 'info'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

export const ERROR = 50;
