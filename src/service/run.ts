// Wires `jetway serve` together: cluster connection, refresher, metrics and the socket service, until SIGTERM.

import { LazyKube } from '../cluster/connect.js';
import { tidyCache, type CacheSettings } from '../module/cache.js';
import { Refresher } from '../refresher/refresher.js';
import { recordProblem } from '../refresher/records.js';
import { jsonLogger, type Level } from './log.js';
import { createMetrics, setLeader } from './metrics.js';
import { startService } from './server.js';
import { applyServiceTuning } from './tuning.js';

/** What `jetway serve` runs with, validated by the command line. */
export interface ServeSettings {
  socket: string;
  listen: { host: string; port: number };
  workers: number;
  kubeconfig: string | undefined;
  /** The module cache shared with generate (JETWAY_CACHE_DIR, JETWAY_CACHE_MAX_BYTES), kept under its bound here. */
  cache: CacheSettings;
  argocdNamespace: string;
  logLevel: Level;
  debounceMs: number;
  minIntervalMs: number;
  waitingRefreshMs: number;
}

/** How often serve brings the shared module cache under its bound. */
const cacheTidyIntervalMs = 10 * 60_000;

// Why: one place that starts every part of the service and stops them in order on a signal.
export async function runServe(settings: ServeSettings): Promise<void> {
  applyServiceTuning();
  const log = jsonLogger(process.stderr, settings.logLevel);
  log('info', `Applications named without a <namespace>_ prefix are looked for in namespace ${settings.argocdNamespace}`, { argocdNamespace: settings.argocdNamespace });
  const tidy = () => tidyCache(settings.cache).catch((error: unknown) => log('warn', 'could not tidy the module cache', { dir: settings.cache.dir, error: String(error) }));
  void tidy();
  const tidyTimer = setInterval(() => void tidy(), cacheTidyIntervalMs).unref();
  const kube = new LazyKube({ kubeconfig: settings.kubeconfig });
  const cluster = await kube.get();
  const refresher = new Refresher({
    http: cluster.http,
    argocdNamespace: settings.argocdNamespace,
    debounceMs: settings.debounceMs,
    minIntervalMs: settings.minIntervalMs,
    waitingRefreshMs: settings.waitingRefreshMs,
    log,
  });
  const metrics = createMetrics(() => refresher.stats());
  // until the refresher is elected with a Lease, every serve process is an active refresher
  setLeader(metrics, true);
  let ready = false;
  const service = await startService({
    socket: settings.socket,
    listen: settings.listen,
    workers: settings.workers,
    cluster,
    metrics,
    log,
    sink: {
      record(record) {
        const problem = recordProblem(record);
        if (problem) throw new Error(problem);
        refresher.record(record);
      },
      records: () => refresher.records(),
      ready: () => ready,
    },
  });
  // rebuild records: every jetway Application is hard-refreshed once, rate-limited
  refresher.start().then(
    () => (ready = true),
    (error: unknown) => {
      log('warn', 'could not list Applications to rebuild run records; records fill in as apps generate', { error: String(error) });
      ready = true;
    },
  );
  const stop = async (signal: string) => {
    log('info', 'shutting down', { signal });
    clearInterval(tidyTimer);
    refresher.stop();
    setLeader(metrics, false);
    await service.close();
    await kube.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
