/** A `Log` that keeps every line, so tests can assert (and wait for) what herald logged. */
import type { Log } from '../../src/core/log.js';
import { WAIT_MS } from './ws-client.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export class RecordingLog implements Log {
  readonly lines: LogLine[] = [];
  readonly #waiters = new Set<() => void>();

  debug(fields: object, message: string): void {
    this.#push('debug', fields, message);
  }
  info(fields: object, message: string): void {
    this.#push('info', fields, message);
  }
  warn(fields: object, message: string): void {
    this.#push('warn', fields, message);
  }
  error(fields: object, message: string): void {
    this.#push('error', fields, message);
  }

  /** Lines at `level`. */
  at(level: LogLine['level']): LogLine[] {
    return this.lines.filter((line) => line.level === level);
  }

  /** The first line (logged so far or later) at `level` whose message matches `pattern`. */
  waitFor(level: LogLine['level'], pattern: RegExp, timeoutMs = WAIT_MS): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find((l) => l.level === level && pattern.test(l.message));
        if (line === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(line);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const seen = this.lines.map((l) => `${l.level}: ${l.message}`).join(' | ');
        reject(
          new Error(`no ${level} line matching ${pattern} within ${timeoutMs} ms; seen: ${seen}`),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  #push(level: LogLine['level'], fields: object, message: string): void {
    this.lines.push({ level, fields: fields as Record<string, unknown>, message });
    for (const waiter of [...this.#waiters]) waiter();
  }
}
