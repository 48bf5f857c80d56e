// Wires `jetway serve` together: cluster connection, refresher, metrics and the socket service, until SIGTERM.

import { readAdminSettings } from '../argocd/admin.js';
import { LazyKube } from '../cluster/connect.js';
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
  argocdNamespace: string;
  logLevel: Level;
  debounceMs: number;
  minIntervalMs: number;
  waitingRefreshMs: number;
}

// Why: one place that starts every part of the service and stops them in order on a signal.
export async function runServe(settings: ServeSettings): Promise<void> {
  applyServiceTuning();
  const log = jsonLogger(process.stderr, settings.logLevel);
  log('info', `Applications named without a <namespace>_ prefix are looked for in namespace ${settings.argocdNamespace}`, { argocdNamespace: settings.argocdNamespace });
  const admin = readAdminSettings(process.env);
  const kube = new LazyKube({ kubeconfig: settings.kubeconfig });
  const cluster = await kube.get();
  const refresher = new Refresher({
    http: cluster.http,
    argocdNamespace: settings.argocdNamespace,
    debounceMs: settings.debounceMs,
    minIntervalMs: settings.minIntervalMs,
    waitingRefreshMs: settings.waitingRefreshMs,
    limits: { refsPerApp: admin.maxRefsPerApp, watches: admin.maxWatches },
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
    refresher.stop();
    setLeader(metrics, false);
    await service.close();
    await kube.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
