import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Structured JSON logs on stdout, or the human-readable form when stdout is a terminal
 * (pino-pretty runs in-process, synchronously, so nothing is lost on exit).
 */
export function createLogger(level: LogLevel, human = process.stdout.isTTY === true): Logger {
  const options = { level, base: { name: 'herald' } };
  if (!human) return pino(options);
  return pino(
    options,
    pretty({
      sync: true,
      singleLine: true,
      ignore: 'pid,hostname,name',
      translateTime: 'HH:MM:ss.l',
    }),
  );
}
