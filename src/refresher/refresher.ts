// The refresher: run records in, watch-driven hard refreshes and Events on the Application out. `jetway serve` owns one.

import { hostname } from 'node:os';
import type { BackoffOptions } from '../cluster/backoff.js';
import type { KubeHttp } from '../cluster/http.js';
import { applicationFacts, applicationRef, hardRefresh, refreshRequestState, type ApplicationFacts, type ApplicationRef } from './applications.js';
import { ChangeDetector, type Change } from './changes.js';
import { realClock, type Clock } from './clock.js';
import { clusterOf, inClusterOnly, type ClusterClients, type ClusterId } from './clusters.js';
import { EventRecorder, type AppEvent } from './events.js';
import { silent, type Log } from './log.js';
import type { RecordView, RunRecord } from './records.js';
import { RefreshScheduler, type RefreshState } from './scheduler.js';
import { SyncAfterRefresh } from './sync-after-refresh.js';
import { syncAfterRefreshAnnotation } from './sync-opt-in.js';
import { TokenBucket } from './token-bucket.js';
import { Watches } from './watches.js';

export interface RefresherOptions {
  /** The Argo CD cluster: Applications, Events, and the watches of apps deployed in it. */
  http: KubeHttp;
  /** Clients of the destination clusters run records name (`destination`). Default: only the Argo CD cluster. */
  clusters?: ClusterClients;
  /** Where Applications named without a `<ns>_` prefix live (Argo CD's own namespace). */
  argocdNamespace: string;
  /** Default 2000. */
  debounceMs?: number;
  /** Default 10000. */
  minIntervalMs?: number;
  /** Fallback refresh period for apps whose last run was waiting or failed. Default 300000. */
  waitingRefreshMs?: number;
  /** First look for a generate answering a hard refresh this long after it; doubles per check. Default 5000. */
  confirmMs?: number;
  /** Checks of an unanswered hard refresh (asking again when Argo CD dropped it) before the periodic re-check takes over. Default 5. */
  confirmAttempts?: number;
  /** Time for every timer. Default the process's clock. */
  clock?: Clock;
  /** Hard refreshes across all apps. Default 10 per second, burst 20. */
  rateLimit?: { perSecond: number; burst: number };
  /** Watch retry backoff. Default 500 ms doubling to 30 s. */
  backoff?: BackoffOptions;
  /** How long an Application's selfHeal setting and uid are trusted. Default 300000. */
  applicationCacheMs?: number;
  /** Bounds on what app records can make jetway watch (JETWAY_MAX_REFS_PER_APP, JETWAY_MAX_WATCHES); past them an app is re-checked periodically. */
  limits: WatchLimits;
  /** reportingInstance of Events. Default the host name (the pod name in Kubernetes). */
  instance?: string;
  log?: Log;
}

/** Caps on watching, so no app's lookups can make the service hold unbounded state or connections. */
export interface WatchLimits {
  refsPerApp: number;
  watches: number;
}

/** Counters for /metrics. */
export interface RefresherStats {
  refreshes: number;
  changes: number;
  watchEvents: number;
  openWatches: number;
  records: number;
  /** Hard-refresh PATCHes that failed. */
  refreshFailures: number;
  /** Lists and watches that failed. */
  watchErrors: number;
  /** Events that could not be written. */
  eventFailures: number;
}

/** Names the changed object the way a user reads it. */
function describeChange(change: Change): string {
  const { kind, namespace, name } = change.ref;
  const verb = change.what === 'created' ? 'was created' : change.what === 'deleted' ? 'was deleted' : 'changed';
  return `${kind} ${namespace ? `${namespace}/` : ''}${name} ${verb}`;
}

/** A run's status in one phrase, for "progressed" messages. */
function describeRun(run: RunRecord): string {
  if (run.outcome === 'failed') return `failed: ${run.statusMessage ?? 'unknown error'}`;
  return run.statusMessage || (run.waiting ? 'waiting' : 'ready');
}

/** The Warning for a destination without the FlightStatus CRD: what it costs and how to install it (deploy/flight-status). */
function crdMissingMessage(destination: string | undefined): string {
  const where = destination ? `the destination cluster ${destination}` : 'the destination cluster';
  return (
    `${where} does not serve jetway's FlightStatus CRD (jetway.dev/v1alpha1), so the app's health in Argo CD follows its ` +
    `resources only, not the flight; the app still syncs. Install the CRD there from deploy/flight-status: ` +
    'kubectl apply -f deploy/flight-status/flightstatus-crd.yaml'
  );
}

/** Lists at most a few reasons, so an Event stays readable. */
function summarize(reasons: string[]): string {
  const shown = reasons.slice(0, 3).join('; ');
  return reasons.length > 3 ? `${shown}; and ${reasons.length - 3} more` : shown;
}

/** Keeps every app's flight re-running whenever something it looked up really changes. */
export class Refresher {
  private readonly runs = new Map<string, RunRecord>();
  /** Apps not watched because their record passed a limit, with the limit's message. */
  private readonly limited = new Map<string, string>();
  private readonly facts = new Map<string, { facts: ApplicationFacts; at: number }>();
  /** Whether each app's last run that said so found the FlightStatus CRD missing in its destination. */
  private readonly crdMissing = new Map<string, boolean>();
  /** Destination clusters that cannot be watched now, with why; their apps are re-checked periodically meanwhile. */
  private readonly unreachable = new Map<ClusterId, string>();
  /** Apps told (one Warning Event) that their cluster cannot be watched, until it answers again. */
  private readonly toldUnreachable = new Set<string>();
  private readonly clusters: ClusterClients;
  private readonly counters = { refreshes: 0, changes: 0, watchEvents: 0, refreshFailures: 0, watchErrors: 0 };
  private readonly detector: ChangeDetector;
  private readonly watches: Watches;
  private readonly bucket: TokenBucket;
  private readonly scheduler: RefreshScheduler;
  private readonly events: EventRecorder;
  private readonly syncs: SyncAfterRefresh;
  private readonly log: Log;
  private readonly clock: Clock;
  private stopped = false;

  constructor(private readonly o: RefresherOptions) {
    this.log = o.log ?? silent;
    this.clock = o.clock ?? realClock;
    this.clusters = o.clusters ?? inClusterOnly(o.http);
    this.detector = new ChangeDetector({ clients: this.clusters, log: this.log, clock: this.clock, onChange: (change) => this.changed(change) });
    this.watches = new Watches({
      clients: this.clusters,
      log: this.log,
      backoff: o.backoff ?? { baseMs: 500, capMs: 30_000 },
      clock: this.clock,
      handlers: {
        event: (key, event) => {
          this.counters.watchEvents++;
          this.detector.event(key, event);
        },
        listed: (key, objects) => this.detector.listed(key, objects),
        failed: (key, error, inARow) => {
          this.counters.watchErrors++;
          this.clusterFailed(key, error, inARow);
        },
        recovered: (key) => this.clusterRecovered(key),
      },
    });
    this.bucket = new TokenBucket(o.rateLimit?.perSecond ?? 10, o.rateLimit?.burst ?? 20, this.clock);
    this.scheduler = new RefreshScheduler({
      debounceMs: o.debounceMs ?? 2_000,
      minIntervalMs: o.minIntervalMs ?? 10_000,
      waitingRefreshMs: o.waitingRefreshMs ?? 300_000,
      confirmMs: o.confirmMs ?? 5_000,
      confirmAttempts: o.confirmAttempts ?? 5,
      bucket: this.bucket,
      clock: this.clock,
      log: this.log,
      refresh: (app, reasons, at) => this.refresh(app, reasons, at),
      state: (app) => this.refreshState(app),
    });
    this.events = new EventRecorder({ http: o.http, component: 'jetway', instance: o.instance ?? hostname() });
    this.syncs = new SyncAfterRefresh({
      http: o.http,
      argocdNamespace: o.argocdNamespace,
      log: this.log,
      emit: (app, ref, event) => this.events.emit(app, ref, event, this.facts.get(app)?.facts.uid),
    });
  }

  /** Closes every watch and clears every timer; final: later records are ignored. */
  stop(): void {
    this.stopped = true;
    this.detector.stop();
    this.watches.stop();
    this.scheduler.stop();
    this.syncs.stop();
    this.bucket.stop();
  }

  /**
   * Replaces the app's record: watches follow its refs, and Events tell the user how the flight is doing. A `replayed`
   * record was stored before this refresher started (loaded on gaining the lease): its refs are compared with the live
   * objects as their watches list, and only a change made meanwhile refreshes; its Events were told when it was new.
   */
  record(run: RunRecord, replayed = false): void {
    if (this.stopped) return;
    const previous = this.runs.get(run.app);
    if (previous && Date.parse(run.ranAt) < Date.parse(previous.ranAt)) {
      this.log('debug', `ignored a run record of ${run.app} older than the one held`, { app: run.app, ranAt: run.ranAt });
      return;
    }
    if (previous && previous.startedAt === run.startedAt && previous.ranAt === run.ranAt) return; // the same run, delivered again
    // A failed run saw nothing new, and Argo CD keeps the last good manifests: keep watching what that run looked up,
    // from where the watches got to (re-tracking would compare against old fingerprints and refresh again and again).
    const keepTracking = run.outcome === 'failed' && run.refs.length === 0 && previous !== undefined;
    if (keepTracking) {
      // ...on the cluster that run looked them up in
      run = { ...run, refs: previous.refs };
      if (previous.destination === undefined) delete run.destination;
      else run.destination = previous.destination;
    }
    const cluster = clusterOf(run.destination);
    const limit = keepTracking ? this.limited.get(run.app) : this.overLimit(run);
    // A record past a limit keeps none of its refs: nothing of it is watched, and the periodic re-check stands in.
    if (limit) run = { ...run, refs: [] };
    this.runs.set(run.app, run);
    this.scheduler.ran(run.app, Date.parse(run.startedAt), run.outcome === 'ok');
    if (!keepTracking) {
      if (limit) this.limited.set(run.app, limit);
      else this.limited.delete(run.app);
      this.detector.track(run.app, run.refs, cluster);
      this.watches.sync(this.detector.watchTargets());
      this.detector.verify(run.app, (key) => this.watches.listed(key));
    }
    // Argo CD pauses generation after repeated failures; the periodic re-check keeps retrying a failed app too.
    this.scheduler.waiting(run.app, this.needsRecheck(run));
    if (this.unreachable.has(cluster) && run.refs.length > 0) this.tellUnreachable(run.app, cluster);
    else if (!this.unreachable.has(cluster)) this.toldUnreachable.delete(run.app);
    // a missing FlightStatus CRD is told once, when a run first finds it missing (a failed run does not say either way)
    const crdMissingNow = run.flightStatusCrdMissing === true && this.crdMissing.get(run.app) !== true;
    if (run.flightStatusCrdMissing !== undefined) this.crdMissing.set(run.app, run.flightStatusCrdMissing);
    if (replayed) return;
    this.announce(previous, run, crdMissingNow).catch((error: unknown) => {
      this.log('warn', `cannot record Events on Application ${run.app}: ${(error as Error).message}`, { app: run.app });
    });
  }

  // Why: one app's lookups must not make the service hold unbounded refs or open unbounded watches (issue 11).
  private overLimit(run: RunRecord): string | undefined {
    const limits = this.o.limits;
    if (run.refs.length > limits.refsPerApp) {
      return `the flight looked up ${run.refs.length} objects, more than the ${limits.refsPerApp} jetway watches per app (JETWAY_MAX_REFS_PER_APP): it is re-checked every ${Math.round((this.o.waitingRefreshMs ?? 300_000) / 1000)} s instead`;
    }
    const watches = this.detector.watchesWith(run.app, run.refs, clusterOf(run.destination));
    if (watches > limits.watches) {
      return `watching what the flight looked up would take jetway to ${watches} watches, more than its ${limits.watches} (JETWAY_MAX_WATCHES): it is re-checked every ${Math.round((this.o.waitingRefreshMs ?? 300_000) / 1000)} s instead`;
    }
    return undefined;
  }

  // Why: the periodic re-check stands in wherever watches cannot tell: a waiting or failed flight, a record past a limit,
  // a destination cluster that cannot be watched now.
  private needsRecheck(run: RunRecord): boolean {
    const cluster = clusterOf(run.destination);
    const blind = this.unreachable.has(cluster) && run.refs.length > 0;
    return run.waiting || run.outcome === 'failed' || this.limited.has(run.app) || blind;
  }

  // Why: one failure of a registered cluster may be a rotated credential (the registration is read again for the retry);
  // a second in a row means the cluster cannot be watched: its apps fall back to the periodic re-check and are told once.
  private clusterFailed(key: string, error: Error, inARow: number): void {
    const cluster = this.watches.clusterOf(key);
    if (cluster === undefined || cluster === '' || inARow < 2 || this.unreachable.has(cluster)) return;
    this.unreachable.set(cluster, error.message);
    this.log('warn', `${this.clusters.label(cluster)} cannot be watched: its apps are re-checked every ${Math.round((this.o.waitingRefreshMs ?? 300_000) / 1000)} s until it answers`, {
      cluster,
      error: error.message,
    });
    for (const run of this.runs.values()) {
      if (clusterOf(run.destination) !== cluster || run.refs.length === 0) continue;
      this.scheduler.waiting(run.app, true);
      this.tellUnreachable(run.app, cluster);
    }
  }

  // Why: the cluster answers again: its watches resume (missed events replay, or a re-list compares), the fallback ends.
  private clusterRecovered(key: string): void {
    const cluster = this.watches.clusterOf(key);
    if (cluster === undefined || !this.unreachable.delete(cluster)) return;
    this.log('info', `${this.clusters.label(cluster)} answers again: its apps are watched again`, { cluster });
    for (const run of this.runs.values()) {
      if (clusterOf(run.destination) !== cluster) continue;
      this.toldUnreachable.delete(run.app);
      this.scheduler.waiting(run.app, this.needsRecheck(run));
    }
  }

  // Why: one Warning Event per app and outage, naming the cluster, however often the watch is retried meanwhile.
  private tellUnreachable(app: string, cluster: ClusterId): void {
    if (this.toldUnreachable.has(app)) return;
    this.toldUnreachable.add(app);
    const message =
      `jetway cannot watch ${this.clusters.label(cluster)}, the destination this app's flight looked objects up in: ${this.unreachable.get(cluster) ?? 'unknown error'}; ` +
      `the app is re-checked every ${Math.round((this.o.waitingRefreshMs ?? 300_000) / 1000)} s until the cluster answers`;
    this.events.emit(app, applicationRef(app, this.o.argocdNamespace), { type: 'Warning', reason: 'ClusterUnreachable', message }, this.facts.get(app)?.facts.uid).catch((error: unknown) => {
      this.log('warn', `cannot record Events on Application ${app}: ${(error as Error).message}`, { app });
    });
  }

  /** Every record, with the next planned hard refresh where one is planned (`jetway status`). */
  records(): RecordView[] {
    return [...this.runs.values()].map((run) => {
      const view: RecordView = { ...run };
      const next = this.scheduler.nextRefreshAt(run.app);
      if (next !== undefined) view.nextRefreshAt = new Date(next).toISOString();
      const limit = this.limited.get(run.app);
      if (limit) view.notWatched = limit;
      const unanswered = this.scheduler.unansweredSince(run.app);
      if (unanswered !== undefined) view.refreshUnansweredSince = new Date(unanswered).toISOString();
      return view;
    });
  }

  /** Resolves once the comparisons, refreshes and checks started so far have ended: what it has seen is acted on. */
  async settled(): Promise<void> {
    do await Promise.all([this.detector.settled(), this.scheduler.settled()]);
    while (this.detector.busy || this.scheduler.busy);
  }

  /** Counters for /metrics. */
  stats(): RefresherStats {
    return { ...this.counters, openWatches: this.watches.open, records: this.runs.size, eventFailures: this.events.failures };
  }

  // Why: a real change plans a (debounced, rate-limited) refresh of the app that saw the old state.
  private changed(change: Change): void {
    if (this.stopped) return;
    this.counters.changes++;
    const reason = describeChange(change);
    this.log('info', `${reason} since the last run of ${change.app}: planning a hard refresh`, { app: change.app, ref: change.ref.ref });
    this.scheduler.changed(change.app, reason);
  }

  // Why: the patch itself, timed so a generate can be told to answer it; a deleted Application takes its record, watches and timers with it.
  private async refresh(app: string, reasons: string[], at: number): Promise<boolean> {
    const ref = applicationRef(app, this.o.argocdNamespace);
    const result = await hardRefresh(this.o.http, ref, new Date(at)).catch((error: unknown) => {
      this.counters.refreshFailures++;
      throw error;
    });
    if (result === 'gone') {
      this.drop(app);
      return false;
    }
    this.counters.refreshes++;
    const message = `hard refresh: ${summarize(reasons)}`;
    // an opted-in app's next stage is synced by jetway once Argo CD has reconciled this refresh
    this.syncs.refreshed(app, ref, summarize(reasons));
    this.log('info', `${message} (Application ${ref.namespace}/${ref.name})`, { app });
    // the refresh is done: an Event that cannot be written must not make it count as failed (and be retried), nor hold up its confirmation
    this.events.emit(app, ref, { type: 'Normal', reason: 'HardRefreshTriggered', message }, this.facts.get(app)?.facts.uid).catch((error: unknown) => {
      this.log('warn', `cannot record Events on Application ${app}: ${(error as Error).message}`, { app });
    });
    return true;
  }

  // Why: tells a refresh Argo CD still holds from one it dropped without a generate (released Argo CD does that).
  private async refreshState(app: string): Promise<RefreshState> {
    const state = await refreshRequestState(this.o.http, applicationRef(app, this.o.argocdNamespace));
    if (state === 'gone') this.drop(app);
    return state;
  }

  /** Forgets `app`: its Application (and so its RunRecord) was deleted. */
  forget(app: string): void {
    if (this.runs.has(app)) this.drop(app);
  }

  // Why: the Application is gone, so nothing it looked up needs watching any more.
  private drop(app: string): void {
    this.log('info', `Application of ${app} no longer exists: dropped its run record`, { app });
    this.runs.delete(app);
    this.limited.delete(app);
    this.toldUnreachable.delete(app);
    this.detector.untrack(app);
    this.watches.sync(this.detector.watchTargets());
    this.scheduler.forget(app);
    this.syncs.forget(app);
    this.events.forget(app);
    this.facts.delete(app);
    this.crdMissing.delete(app);
  }

  // Why: selfHeal and uid change rarely; one GET per app per cache period is enough.
  private async applicationFacts(app: string, ref: ApplicationRef): Promise<ApplicationFacts | undefined> {
    const cached = this.facts.get(app);
    if (cached && this.clock.now() - cached.at < (this.o.applicationCacheMs ?? 300_000)) return cached.facts;
    const facts = await applicationFacts(this.o.http, ref);
    if (facts) this.facts.set(app, { facts, at: this.clock.now() });
    return facts;
  }

  // Why: status transitions become Events the Argo CD UI shows, including the selfHeal warning for waiting flights.
  private async announce(previous: RunRecord | undefined, run: RunRecord, crdMissingNow: boolean): Promise<void> {
    const ref = applicationRef(run.app, this.o.argocdNamespace);
    const events: AppEvent[] = [];
    // first, so any other Event of this run on the Application means this one was written too
    if (crdMissingNow) events.push({ type: 'Warning', reason: 'FlightStatusCrdMissing', message: crdMissingMessage(run.destination) });
    if (run.outcome === 'failed') events.push({ type: 'Warning', reason: 'FlightFailed', message: run.statusMessage ?? 'the flight failed' });
    else if (previous && describeRun(previous) !== describeRun(run)) {
      events.push({ type: 'Normal', reason: 'FlightProgressed', message: `flight status changed from "${describeRun(previous)}" to "${describeRun(run)}"` });
    }
    const limit = this.limited.get(run.app);
    if (limit) events.push({ type: 'Warning', reason: 'WatchLimitReached', message: limit });
    let facts = this.facts.get(run.app)?.facts;
    if (run.waiting) {
      events.push({ type: 'Normal', reason: 'FlightWaiting', message: run.statusMessage || 'the flight waits on cluster state' });
      facts = await this.applicationFacts(run.app, ref);
      if (facts && !facts.selfHeal && !facts.syncAfterRefresh) {
        events.push({
          type: 'Warning',
          reason: 'SelfHealDisabled',
          message:
            'the flight waits on cluster state but automated.selfHeal is off: Argo CD will not apply the next stage by itself; enable ' +
            `spec.syncPolicy.automated.selfHeal, or let jetway sync each new stage with the annotation ${syncAfterRefreshAnnotation}: "true"`,
        });
      }
    }
    for (const event of events) await this.events.emit(run.app, ref, event, facts?.uid);
  }
}
