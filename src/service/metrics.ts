// The service's Prometheus metrics, in one registry so tests can read them.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric `/metrics` exposes. */
export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
    runs: new Counter({ name: 'jetway_runs_total', help: 'Flight runs by outcome', labelNames: ['outcome'] as const, registers: [registry] }),
    runSeconds: new Histogram({
      name: 'jetway_run_duration_seconds',
      help: 'Flight run time, request to result',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    lookups: new Counter({ name: 'jetway_lookups_total', help: 'Host calls by import and state', labelNames: ['call', 'state'] as const, registers: [registry] }),
    refreshes: new Gauge({ name: 'jetway_refreshes_total', help: 'Hard refreshes triggered', registers: [registry] }),
    watches: new Gauge({ name: 'jetway_watches_open', help: 'Open metadata watches', registers: [registry] }),
    cache: new Counter({ name: 'jetway_module_cache_total', help: 'Module cache lookups by result', labelNames: ['result'] as const, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
