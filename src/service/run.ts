// Wires `jetway serve` together: cluster connection, run records, leader election, the refresher, metrics and the socket
// service, until SIGTERM. Every replica serves runs and stores their records; only the Lease holder watches and refreshes.

import { hostname } from 'node:os';
import { LazyKube } from '../cluster/connect.js';
import { listClusterSecrets, readInClusterSetting } from '../cluster/destinations/cluster-secrets.js';
import { DestinationResolver } from '../cluster/destinations/resolver.js';
import { loadKubeConfig } from '../cluster/kube.js';
import { tidyCache, type CacheSettings } from '../module/cache.js';
import { realClock } from '../refresher/clock.js';
import { DestinationClients } from '../refresher/clusters.js';
import { LeaderElector } from '../refresher/leader.js';
import { RecordFeed } from '../refresher/record-feed.js';
import { RecordStore } from '../refresher/record-store.js';
import { Refresher } from '../refresher/refresher.js';
import { recordProblem } from '../refresher/records.js';
import { runTargets } from './destinations.js';
import { jsonLogger, type Level } from './log.js';
import { createMetrics, setLeader } from './metrics.js';
import { startService } from './server.js';
import { applyServiceTuning } from './tuning.js';

/** What `jetway serve` runs with, validated by the command line. */
export interface ServeSettings {
  socket: string;
  listen: { host: string; port: number };
  workers: number;
  /** Runs one app may have on workers at once; undefined: half the workers. */
  perApp: number | undefined;
  /** The deadline of runs that ask for none or a longer one (JETWAY_MAX_TIMEOUT). */
  maxTimeoutMs: number;
  /** The heap of each flight worker thread (JETWAY_WORKER_HEAP_MIB). */
  workerHeapMib: number;
  /** Guest memory (MiB) the running flights may reserve together (JETWAY_SERVE_MEMORY_MIB); undefined: no budget. */
  memoryBudgetMib: number | undefined;
  /** Runs that may wait for a worker at once (JETWAY_MAX_QUEUED_RUNS). */
  maxQueued: number;
  kubeconfig: string | undefined;
  /** JETWAY_PROJECT_SCOPE: non-owned lookups bounded by the app's AppProject destinations. */
  projectScope: 'on' | 'off';
  /** The module cache shared with generate (JETWAY_CACHE_DIR, JETWAY_CACHE_MAX_BYTES), kept under its bound here. */
  cache: CacheSettings;
  /** What the refresher may watch (JETWAY_MAX_REFS_PER_APP, JETWAY_MAX_WATCHES). */
  watchLimits: { refsPerApp: number; watches: number };
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
  const identity = process.env['POD_NAME'] || hostname();
  const store = new RecordStore(cluster.http, settings.argocdNamespace);
  // one resolver for every app and for the refresher's watches: for the in-cluster destination the credentials of a cluster Secret registering it, else serve's own; cluster Secrets of Argo CD's namespace for the rest
  const resolver = new DestinationResolver({
    secrets: listClusterSecrets(cluster.http, settings.argocdNamespace),
    inCluster: () => loadKubeConfig({ kubeconfig: settings.kubeconfig }),
    inClusterEnabled: readInClusterSetting(cluster.http, settings.argocdNamespace),
  });
  const targets = runTargets({ http: cluster.http, argocdNamespace: settings.argocdNamespace, resolver, projectScope: settings.projectScope });

  // The refresher and the feed of records into it exist only while this replica leads.
  let leading: { refresher: Refresher; feed: RecordFeed } | undefined;
  const lead = () => {
    const refresher = new Refresher({
      http: cluster.http,
      clusters: new DestinationClients({ resolver, clock: realClock }),
      argocdNamespace: settings.argocdNamespace,
      debounceMs: settings.debounceMs,
      minIntervalMs: settings.minIntervalMs,
      waitingRefreshMs: settings.waitingRefreshMs,
      limits: settings.watchLimits,
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
    perApp: settings.perApp,
    maxTimeoutMs: settings.maxTimeoutMs,
    workerHeapMib: settings.workerHeapMib,
    memoryBudgetMib: settings.memoryBudgetMib,
    maxQueued: settings.maxQueued,
    targets,
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
    clearInterval(tidyTimer);
    await elector.stop(); // steps down (watches close) and releases the lease for the next replica
    await service.close();
    resolver.close();
    await kube.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
