// Wires `jetway serve` together: cluster connection, run records, leader election, the refresher, metrics and the socket
// service, until SIGTERM. Every replica serves runs and stores their records; only the Lease holder watches and refreshes.

import { hostname } from 'node:os';
import { readAdminSettings } from '../argocd/admin.js';
import { LazyKube } from '../cluster/connect.js';
import { realClock } from '../refresher/clock.js';
import { LeaderElector } from '../refresher/leader.js';
import { RecordFeed } from '../refresher/record-feed.js';
import { RecordStore } from '../refresher/record-store.js';
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
  /** Leader election (client-go's LeaseDuration, RenewDeadline, RetryPeriod). */
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** The Lease the replicas compete for, in the Argo CD namespace. */
const leaseName = 'jetway-refresher';

// Why: one place that starts every part of the service and stops them in order on a signal.
export async function runServe(settings: ServeSettings): Promise<void> {
  applyServiceTuning();
  const log = jsonLogger(process.stderr, settings.logLevel);
  log('info', `Applications named without a <namespace>_ prefix are looked for in namespace ${settings.argocdNamespace}`, { argocdNamespace: settings.argocdNamespace });
  const admin = readAdminSettings(process.env);
  const kube = new LazyKube({ kubeconfig: settings.kubeconfig });
  const cluster = await kube.get();
  const identity = process.env['POD_NAME'] || hostname();
  const store = new RecordStore(cluster.http, settings.argocdNamespace);

  // The refresher and the feed of records into it exist only while this replica leads.
  let leading: { refresher: Refresher; feed: RecordFeed } | undefined;
  const lead = () => {
    const refresher = new Refresher({
      http: cluster.http,
      argocdNamespace: settings.argocdNamespace,
      debounceMs: settings.debounceMs,
      minIntervalMs: settings.minIntervalMs,
      waitingRefreshMs: settings.waitingRefreshMs,
      limits: { refsPerApp: admin.maxRefsPerApp, watches: admin.maxWatches },
      instance: identity,
      log,
    });
    const feed = new RecordFeed({
      http: cluster.http,
      clock: realClock,
      log,
      backoff: { baseMs: 500, capMs: 30_000 },
      onRecord: (record, replayed) => refresher.record(record, replayed),
      onDeleted: (app) => refresher.forget(app),
    });
    leading = { refresher, feed };
    setLeader(metrics, true);
    feed.start().then(
      () => log('info', `loaded ${refresher.stats().records} run records: comparing what they looked up with the cluster`, { records: refresher.stats().records }),
      (error: unknown) => log('warn', 'cannot list RunRecords; records fill in as apps generate', { error: String(error) }),
    );
  };
  const follow = () => {
    if (!leading) return;
    void leading.feed.stop();
    leading.refresher.stop(); // closes every watch at once
    leading = undefined;
    setLeader(metrics, false);
  };
  const elector = new LeaderElector({
    http: cluster.http,
    namespace: settings.argocdNamespace,
    name: leaseName,
    identity,
    leaseDurationMs: settings.leaseDurationMs,
    renewDeadlineMs: settings.renewDeadlineMs,
    retryPeriodMs: settings.retryPeriodMs,
    clock: realClock,
    log,
    onStartedLeading: lead,
    onStoppedLeading: follow,
  });

  const metrics = createMetrics(() => leading?.refresher.stats());
  setLeader(metrics, false);
  const service = await startService({
    socket: settings.socket,
    listen: settings.listen,
    workers: settings.workers,
    cluster,
    metrics,
    log,
    sink: {
      async record(record) {
        const problem = recordProblem(record);
        if (problem) throw new Error(problem);
        const saved = await store.save(record);
        if (saved === 'gone') log('debug', `no Application for ${record.app}: its run record is not stored`, { app: record.app });
      },
      records: () => leading?.refresher.records() ?? [],
    },
  });
  elector.start();
  const stop = async (signal: string) => {
    log('info', 'shutting down', { signal });
    await elector.stop(); // steps down (watches close) and releases the lease for the next replica
    await service.close();
    await kube.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
