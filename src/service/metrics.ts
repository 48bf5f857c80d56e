// The service's Prometheus metrics, in one registry so tests can read them.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { State, type StateCode } from '../wasi/states.js';
import type { RefresherStats } from '../refresher/refresher.js';
import { fallbackReasons } from './protocol.js';

/** yoke's state names by code (`NotFound` for 3), so dashboards need not know the numbers. */
const stateNames = new Map<number, string>(Object.entries(State).map(([name, code]) => [code, name]));

/** The `state` label of a host call's answer. */
export function lookupState(code: StateCode): string {
  return stateNames.get(code) ?? `Unknown${code}`;
}

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
  const fallbacks = new Counter({
    name: 'jetway_generate_fallbacks_total',
    help: 'generate runs that fell back to running in-process, by reason, as generate reports them once the service answers',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // every series exists from the start, so rate() and alerts see the first fallback
  for (const reason of fallbackReasons) fallbacks.inc({ reason }, 0);
  return {
    registry,
    runs: new Counter({
      name: 'jetway_runs_total',
      // not `instance`: Prometheus sets that label on every scraped sample to the target's address
      help: 'Flight runs by outcome (ok, failed, cancelled, overloaded), and whether the instance was prepared while idle or made on the request path (instance_origin)',
      labelNames: ['outcome', 'instance_origin'] as const,
      registers: [registry],
    }),
    runSeconds: new Histogram({
      name: 'jetway_run_duration_seconds',
      help: 'Flight run time, request to result',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    workers: new Gauge({ name: 'jetway_workers', help: 'Flight workers by state (idle, preparing an instance ahead, running a flight)', labelNames: ['state'] as const, registers: [registry] }),
    waiting: new Gauge({ name: 'jetway_runs_waiting', help: 'Runs waiting for a flight worker', registers: [registry] }),
    reservedMemory: new Gauge({ name: 'jetway_memory_reserved_mib', help: 'Guest memory (MiB) the running flights reserved against JETWAY_SERVE_MEMORY_MIB', registers: [registry] }),
    lookups: new Counter({
      name: 'jetway_lookups_total',
      help: "Host calls by import and yoke's answer state (OK, NotFound, Forbidden, FeatureNotGranted, Error, Unauthenticated)",
      labelNames: ['call', 'state'] as const,
      registers: [registry],
    }),
    cache: new Counter({ name: 'jetway_module_cache_total', help: 'Module cache lookups by result', labelNames: ['result'] as const, registers: [registry] }),
    refreshes: mirrored('jetway_refreshes_total', 'Hard refreshes patched onto Applications', (s) => s.refreshes),
    changes: mirrored('jetway_changes_total', 'Real changes seen on looked-up objects', (s) => s.changes),
    watchEvents: mirrored('jetway_watch_events_total', 'Watch events received', (s) => s.watchEvents),
    refreshFailures: mirrored('jetway_refresh_failures_total', 'Hard-refresh PATCHes of Applications that failed (retried when transient)', (s) => s.refreshFailures),
    watchErrors: mirrored('jetway_watch_errors_total', 'Lists and watches of looked-up objects that failed (each is retried with backoff)', (s) => s.watchErrors),
    eventFailures: mirrored('jetway_event_write_failures_total', 'Events on Applications that could not be created or updated', (s) => s.eventFailures),
    fallbacks,
    leader: new Gauge({
      name: 'jetway_leader',
      help: '1 while this process is the active refresher (watches and hard-refreshes), else 0',
      registers: [registry],
    }),
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

/** Sets `jetway_leader`: called when this process becomes the active refresher and when it stops being one. */
export function setLeader(metrics: Metrics, leading: boolean): void {
  metrics.leader.set(leading ? 1 : 0);
}
