// The service's Prometheus metrics, in one registry so tests can read them.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RefresherStats } from '../refresher/refresher.js';

/** Every metric `/metrics` exposes; the refresher's are read from `refresher` at scrape time, so they are never stale. */
export function createMetrics(refresher: () => RefresherStats | undefined = () => undefined) {
  const registry = new Registry();
  // Why: a counter kept by the refresher, exposed as a Prometheus counter (monotonic, `_total`) without a second copy.
  const mirrored = (name: string, help: string, read: (s: RefresherStats) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = refresher();
        this.reset();
        if (stats) this.inc(read(stats));
      },
    });
  return {
    registry,
    runs: new Counter({
      name: 'jetway_runs_total',
      help: 'Flight runs by outcome, and whether the instance was prepared while idle or made on the request path',
      labelNames: ['outcome', 'instance'] as const,
      registers: [registry],
    }),
    runSeconds: new Histogram({
      name: 'jetway_run_duration_seconds',
      help: 'Flight run time, request to result',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    lookups: new Counter({ name: 'jetway_lookups_total', help: 'Host calls by import and state', labelNames: ['call', 'state'] as const, registers: [registry] }),
    cache: new Counter({ name: 'jetway_module_cache_total', help: 'Module cache lookups by result', labelNames: ['result'] as const, registers: [registry] }),
    refreshes: mirrored('jetway_refreshes_total', 'Hard refreshes patched onto Applications', (s) => s.refreshes),
    changes: mirrored('jetway_changes_total', 'Real changes seen on looked-up objects', (s) => s.changes),
    watchEvents: mirrored('jetway_watch_events_total', 'Watch events received', (s) => s.watchEvents),
    watches: new Gauge({
      name: 'jetway_watches_open',
      help: 'Open metadata watches (one per distinct resource and namespace looked up)',
      registers: [registry],
      collect() {
        this.set(refresher()?.openWatches ?? 0);
      },
    }),
    records: new Gauge({
      name: 'jetway_run_records',
      help: 'Applications with a run record',
      registers: [registry],
      collect() {
        this.set(refresher()?.records ?? 0);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
