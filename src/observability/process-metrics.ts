/**
 * prom-client's default metrics (CPU, memory, heap, file descriptors, handles, GC, event-loop
 * lag…), collected once per process and shared by every herald in it.
 *
 * Once per process, not per server: they describe the process, and prom-client never stops what
 * `collectDefaultMetrics` starts — `lib/metrics/eventLoopLag.js` enables a
 * `monitorEventLoopDelay` histogram that is never disabled, `lib/metrics/gc.js` observes GC with
 * a `PerformanceObserver` that is never disconnected (which keeps its registry reachable). Neither
 * holds the event loop open, but per server they would pile up in a process that starts many
 * (a test suite): one sampler and one retained registry per server ever started.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/** The process-wide registry of default metrics; started on the first call. */
export function processMetrics(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
