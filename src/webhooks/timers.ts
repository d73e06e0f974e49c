/**
 * Time as the webhook pipeline sees it: the clock for `time_ms` and the retry window, and timers
 * for batch windows, vacate delays, backoff and attempt timeouts. Injected, so tests drive it
 * (or configure short delays) instead of sleeping.
 */
import type { Clock } from '../core/clock.js';

/** Cancels a timer; calling it after the timer fired does nothing. */
export type Cancel = () => void;

export interface Timers {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `run` once after `ms` milliseconds. */
  after(ms: number, run: () => void): Cancel;
}

/**
 * Real timers reading `clock` for the time. Every timer is unref'd: a pending batch, delay or
 * retry never keeps the process alive (graceful stop flushes them explicitly).
 */
export function systemTimers(clock: Clock): Timers {
  return {
    now: () => clock.now(),
    after(ms, run) {
      const timer = setTimeout(run, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}
