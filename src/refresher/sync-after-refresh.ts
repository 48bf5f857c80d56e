// Syncs started by jetway after its own hard refresh (issue 16), for Applications that opt in with the annotation
// `jetway.dev/sync-after-refresh: "true"`. A hard refresh gives Argo CD the flight's next stage for the same revision;
// Argo CD applies it by itself only through selfHeal, backed off per revision (2 s x3 up to 5 min), and never without
// selfHeal. For an opted-in app, once Argo CD has reconciled the refresh, jetway sets the Application's `operation` as
// Argo CD's own API does (argo-cd v3.5.1 server/application/application.go Sync, util/argo/argo.go SetAppOperation):
// a sync of the OutOfSync resources only, at the revision Argo CD last synced and compared (never a new one), prune as
// the app's automated policy says, initiated by jetway and marked automated, only when no operation runs, only when
// the project's sync windows allow an automated sync, at most once per refresh cycle, backed off when jetway's syncs
// fail or leave the app OutOfSync. The application controller then runs it like any other operation.

import { canonical } from '../cluster/fingerprint.js';
import { failureFor, type KubeHttp } from '../cluster/http.js';
import { applicationPath, type ApplicationRef } from './applications.js';
import type { AppEvent } from './events.js';
import type { Log } from './log.js';
import { optInOf, syncAfterRefreshAnnotation } from './sync-opt-in.js';
import { automatedSyncVerdict, type SyncWindow } from './sync-windows.js';

/** The `initiatedBy.username` of jetway's operations: how jetway (and a user) tells them from Argo CD's and users'. */
const jetwayInitiator = 'jetway';
const refreshAnnotation = 'argocd.argoproj.io/refresh';

/** The parts of an Application the decision reads, as Argo CD stores them. */
export interface StoredApplication {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  spec?: {
    project?: string;
    source?: unknown;
    sources?: unknown[];
    destination?: { namespace?: string; server?: string; name?: string };
    syncPolicy?: { automated?: { prune?: boolean; allowEmpty?: boolean; enabled?: boolean }; syncOptions?: string[]; retry?: unknown };
  };
  operation?: unknown;
  status?: {
    reconciledAt?: string;
    sync?: { status?: string; revision?: string; comparedTo?: { source?: unknown } };
    resources?: Array<{ group?: string; kind?: string; namespace?: string; name?: string; status?: string; requiresPruning?: boolean }>;
    operationState?: {
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      operation?: { initiatedBy?: { username?: string; automated?: boolean }; sync?: { resources?: SyncResource[] } };
      syncResult?: { revision?: string; source?: unknown };
    };
  };
}

/** SyncOperationResource. */
export interface SyncResource {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The operation jetway sets: Argo CD's Operation with a sync of some resources. */
export interface SyncOperation {
  sync: {
    revision: string;
    prune: boolean;
    source: unknown;
    resources: SyncResource[];
    syncStrategy: { hook: Record<string, never> };
    syncOptions?: string[];
  };
  initiatedBy: { username: string; automated: true };
  retry?: unknown;
  info: Array<{ name: string; value: string }>;
}

/** What to do about an app now. */
export type Decision = { kind: 'wait'; why: string } | { kind: 'skip'; why: string } | { kind: 'denied'; why: string } | { kind: 'sync'; revision: string; resources: SyncResource[]; prune: boolean };

/** "Kind/name" for messages. */
const resourceLabel = (r: SyncResource) => `${r.kind}/${r.name}`;
const completedPhase = (phase: string | undefined) => phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';

/**
 * Whether and what jetway syncs for `app`, read after jetway's hard refresh of it. Pure: the caller adds its own
 * backoff. The rules mirror autoSync (controller/appcontroller.go) where they apply to a self-heal sync.
 */
export function decide(app: StoredApplication, windows: SyncWindow[] | undefined, now: Date): Decision {
  const optIn = optInOf(app.metadata?.annotations);
  if (optIn !== 'on') return { kind: 'skip', why: `the Application does not set ${syncAfterRefreshAnnotation}: "true"` };
  if (app.metadata?.deletionTimestamp) return { kind: 'skip', why: 'the Application is being deleted' };
  if (app.metadata?.annotations?.[refreshAnnotation] !== undefined) return { kind: 'wait', why: 'Argo CD has not yet reconciled the hard refresh' };
  const status = app.status ?? {};
  // the annotation jetway set before the cycle began is gone: a reconcile that began with it has written its status
  // (reconciledAt, second precision in Argo CD, cannot order it against the patch, so it only has to exist)
  if (!status.reconciledAt) return { kind: 'wait', why: 'Argo CD has not yet reconciled the hard refresh' };
  if (app.operation !== undefined && app.operation !== null) return { kind: 'skip', why: 'another operation is in progress' };
  if ((app.spec?.sources ?? []).length > 0) return { kind: 'skip', why: 'multi-source Applications are not synced by jetway' };
  if (status.sync?.status !== 'OutOfSync') return { kind: 'skip', why: `the app is ${status.sync?.status ?? 'not compared yet'}` };
  const state = status.operationState;
  const last = state?.syncResult;
  if (!state || !last) return { kind: 'skip', why: "Argo CD has not synced this app yet: the first sync of a revision is Argo CD's or a user's call" };
  const revision = status.sync.revision ?? '';
  if (last.revision !== revision) {
    return { kind: 'skip', why: `Argo CD compared revision ${revision} but last synced ${last.revision ?? 'none'}: syncing a new revision is Argo CD's or a user's call` };
  }
  const source = canonical(app.spec?.source);
  if (canonical(last.source) !== source || canonical(status.sync.comparedTo?.source) !== source) {
    return { kind: 'skip', why: "the Application's source changed since the last sync: syncing it is Argo CD's or a user's call" };
  }
  if (state.phase !== 'Succeeded' && state.operation?.initiatedBy?.username !== jetwayInitiator) {
    return { kind: 'skip', why: `the last sync to ${revision} ended ${state.phase ?? 'unknown'}: ${state.message ?? ''}` };
  }
  const outOfSync = (status.resources ?? []).filter((r) => r.status !== 'Synced');
  const automated = app.spec?.syncPolicy?.automated;
  const prune = automated?.prune === true;
  if (outOfSync.length === 0) return { kind: 'skip', why: 'no resource is OutOfSync' };
  if (!prune && outOfSync.every((r) => r.requiresPruning)) return { kind: 'skip', why: 'only resources to prune are OutOfSync, and the sync policy does not prune' };
  if (prune && !automated?.allowEmpty && (status.resources ?? []).every((r) => r.requiresPruning)) {
    return { kind: 'skip', why: 'the sync would wipe out all resources' };
  }
  const destination = app.spec?.destination ?? {};
  const verdict = automatedSyncVerdict(windows, { name: app.metadata?.name ?? '', destination }, now);
  if (!verdict.allowed) return { kind: 'denied', why: verdict.why };
  const resources = outOfSync.map((r) => ({ group: r.group ?? '', kind: r.kind ?? '', name: r.name ?? '', ...(r.namespace ? { namespace: r.namespace } : {}) }));
  return { kind: 'sync', revision, resources, prune };
}

/** The operation for a `sync` decision: Argo CD's own shape, as its Sync API builds it for a partial sync. */
function syncOperation(app: StoredApplication, d: Extract<Decision, { kind: 'sync' }>, why: string): SyncOperation {
  const policy = app.spec?.syncPolicy;
  return {
    sync: {
      revision: d.revision,
      prune: d.prune,
      source: app.spec?.source,
      resources: d.resources,
      // Argo CD's default strategy (hooks run), as a sync from the UI sends it
      syncStrategy: { hook: {} },
      ...(policy?.syncOptions ? { syncOptions: policy.syncOptions } : {}),
    },
    initiatedBy: { username: jetwayInitiator, automated: true },
    ...(policy?.retry ? { retry: policy.retry } : {}),
    info: [{ name: 'Reason', value: why }],
  };
}

export interface SyncAfterRefreshOptions {
  http: KubeHttp;
  /** Where AppProjects live. */
  argocdNamespace: string;
  log: Log;
  /** Records an Event on the Application. */
  emit(app: string, ref: ApplicationRef, event: AppEvent): Promise<void>;
  /** How often the Application is read while a cycle waits for Argo CD. Default 250 ms. */
  pollMs?: number;
  /** How long a cycle waits for Argo CD to reconcile the refresh, or for jetway's sync to finish. Default 10 min. */
  cycleTimeoutMs?: number;
  /** Backoff after jetway's sync failed or left the same resources OutOfSync: base doubling to the cap. Default 10 s, 5 min. */
  backoff?: { baseMs: number; capMs: number };
  /** How often a cycle denied by a sync window checks again. Default 60 s. */
  windowRecheckMs?: number;
}

/** One refresh cycle of an app: from jetway's hard refresh to at most one sync of it, and that sync's end. */
interface Cycle {
  ref: ApplicationRef;
  /** Why jetway refreshed, as its HardRefreshTriggered Event says it. */
  why: string;
  deadline: number;
  timer?: NodeJS.Timeout;
  /** Set once jetway started its sync: the cycle follows it to its end. */
  started?: { resources: string };
  denied?: string;
  backedOff?: number;
  /** A refresh that arrived while the cycle followed its sync: the next cycle, started when this one ends. */
  next?: string;
}

/** What jetway remembers of its own syncs of an app. */
interface History {
  failures: number;
  notBefore: number;
  /** The resources of jetway's last sync that succeeded, to notice one that did not move the app on. */
  lastSucceeded?: { revision: string; resources: string };
}

/** Starts at most one sync per refresh cycle of each opted-in app, and follows it. */
export class SyncAfterRefresh {
  private readonly cycles = new Map<string, Cycle>();
  private readonly history = new Map<string, History>();
  private stopped = false;

  constructor(private readonly o: SyncAfterRefreshOptions) {}

  /**
   * jetway hard-refreshed `app` (`why`: the refresh's reasons in one phrase): a new cycle. It replaces a cycle that has
   * not synced yet; a cycle following its sync starts the new one when that sync has ended.
   */
  refreshed(app: string, ref: ApplicationRef, why: string): void {
    if (this.stopped) return;
    this.begin(app, ref, why);
  }

  // Why: the one place a cycle starts, from a refresh now or one that waited for the previous cycle's sync. A newer
  // refresh replaces a cycle still waiting for Argo CD: its generate sees everything the older one would have.
  private begin(app: string, ref: ApplicationRef, why: string): void {
    const current = this.cycles.get(app);
    if (current?.started) {
      current.next = why;
      return;
    }
    if (current) clearTimeout(current.timer);
    const cycle: Cycle = { ref, why, deadline: Date.now() + (this.o.cycleTimeoutMs ?? 600_000) };
    this.cycles.set(app, cycle);
    this.schedule(app, cycle, this.o.pollMs ?? 250);
  }

  /** Forgets `app` (its Application is gone). */
  forget(app: string): void {
    clearTimeout(this.cycles.get(app)?.timer);
    this.cycles.delete(app);
    this.history.delete(app);
  }

  /** Clears every timer; final. */
  stop(): void {
    this.stopped = true;
    for (const app of [...this.cycles.keys()]) clearTimeout(this.cycles.get(app)?.timer);
    this.cycles.clear();
  }

  // Why: one timer per cycle; a step that throws (the API server) is retried at the next poll until the deadline.
  private schedule(app: string, cycle: Cycle, delayMs: number): void {
    cycle.timer = setTimeout(
      () => {
        if (this.cycles.get(app) !== cycle || this.stopped) return;
        this.step(app, cycle).catch((error: unknown) => {
          this.o.log('warn', `sync-after-refresh of ${app}: ${(error as Error).message}`, { app });
          this.again(app, cycle, this.o.pollMs ?? 250);
        });
      },
      Math.max(0, delayMs),
    );
  }

  // Why: a cycle that is not over polls again, until its deadline.
  private again(app: string, cycle: Cycle, delayMs: number): void {
    if (Date.now() > cycle.deadline) {
      this.o.log('warn', `sync-after-refresh of ${app}: gave up waiting for Argo CD after ${Math.round((this.o.cycleTimeoutMs ?? 600_000) / 1000)} s`, { app });
      this.end(app, cycle);
      return;
    }
    this.schedule(app, cycle, delayMs);
  }

  // Why: ends the cycle only if it is still the app's current one, then starts the refresh that waited for it.
  private end(app: string, cycle: Cycle): void {
    if (this.cycles.get(app) !== cycle) return;
    this.cycles.delete(app);
    if (cycle.next && !this.stopped) this.begin(app, cycle.ref, cycle.next);
  }

  // Why: one look at the Application: follow jetway's running sync, or decide.
  private async step(app: string, cycle: Cycle): Promise<void> {
    const stored = await this.read<StoredApplication>(applicationPath(cycle.ref));
    if (!stored) return this.end(app, cycle);
    if (cycle.started) return this.follow(app, cycle, stored);
    const optIn = optInOf(stored.metadata?.annotations);
    if (typeof optIn === 'object') {
      await this.o.emit(app, cycle.ref, {
        type: 'Warning',
        reason: 'SyncOptInInvalid',
        message: `annotation ${syncAfterRefreshAnnotation} is ${JSON.stringify(optIn.invalid)}: expected "true" or "false"; jetway does not sync this app`,
      });
      return this.end(app, cycle);
    }
    if (optIn === 'off') return this.end(app, cycle);
    const project = await this.project(stored);
    if (project === 'unreadable') return this.denied(app, cycle, `cannot read AppProject ${stored.spec?.project ?? 'default'} to check its sync windows`);
    if (project === undefined) return this.end(app, cycle);
    const decision = decide(stored, project, new Date());
    if (decision.kind === 'wait') return this.again(app, cycle, this.o.pollMs ?? 250);
    if (decision.kind === 'skip') {
      this.o.log('info', `no sync of ${app} by jetway: ${decision.why}`, { app });
      return this.end(app, cycle);
    }
    if (decision.kind === 'denied') return this.denied(app, cycle, decision.why);
    const history = this.history.get(app) ?? { failures: 0, notBefore: 0 };
    this.history.set(app, history);
    const resources = decision.resources.map(resourceLabel).sort().join(', ');
    if (history.lastSucceeded?.revision === decision.revision && history.lastSucceeded.resources === resources) {
      // jetway's last sync of exactly these resources succeeded, yet they are OutOfSync again: it does not hold
      history.lastSucceeded = undefined;
      this.failed(app, cycle, history, `jetway's last sync of ${resources} succeeded but left them OutOfSync`);
    }
    if (Date.now() < history.notBefore) {
      if (cycle.backedOff !== history.notBefore) {
        cycle.backedOff = history.notBefore;
        const seconds = Math.ceil((history.notBefore - Date.now()) / 1000);
        await this.o.emit(app, cycle.ref, { type: 'Warning', reason: 'SyncBackoff', message: `jetway backs off syncing ${resources} for ${seconds} s after ${history.failures} unsuccessful syncs` });
      }
      return this.again(app, cycle, history.notBefore - Date.now());
    }
    const why = `${cycle.why}: syncing ${resources}`;
    const result = await this.setOperation(cycle.ref, stored, syncOperation(stored, decision, why));
    if (result === 'conflict') return this.again(app, cycle, this.o.pollMs ?? 250); // changed meanwhile: decide again
    if (result === 'gone') return this.end(app, cycle);
    cycle.started = { resources };
    history.lastSucceeded = undefined;
    this.o.log('info', `jetway started a sync of ${app}: ${why}`, { app, revision: decision.revision });
    await this.o.emit(app, cycle.ref, { type: 'Normal', reason: 'SyncStarted', message: `${why} at revision ${decision.revision.slice(0, 7)}` });
    this.again(app, cycle, this.o.pollMs ?? 250);
  }

  // Why: a denial is said once per cycle; the cycle checks again later (the window may close), until a new refresh.
  private async denied(app: string, cycle: Cycle, why: string): Promise<void> {
    if (cycle.denied !== why) {
      cycle.denied = why;
      await this.o.emit(app, cycle.ref, { type: 'Normal', reason: 'SyncWindowDenied', message: `jetway does not sync ${cycle.why}: ${why}` });
    }
    this.again(app, cycle, this.o.windowRecheckMs ?? 60_000);
  }

  // Why: jetway's sync has ended when the operation is gone and the operation state, cleared when jetway set its
  // operation, is a completed one of jetway's.
  private async follow(app: string, cycle: Cycle, stored: StoredApplication): Promise<void> {
    const state = stored.status?.operationState;
    const ours = state?.operation?.initiatedBy?.username === jetwayInitiator && state.startedAt !== undefined;
    if (stored.operation || !ours || !completedPhase(state.phase)) return this.again(app, cycle, this.o.pollMs ?? 250);
    const history = this.history.get(app)!;
    const revision = state.syncResult?.revision ?? '';
    if (state.phase === 'Succeeded') {
      history.failures = 0;
      history.notBefore = 0;
      history.lastSucceeded = { revision, resources: cycle.started!.resources };
    } else {
      this.failed(app, cycle, history, `jetway's sync of ${cycle.started!.resources} ended ${state.phase}: ${state.message ?? ''}`);
    }
    this.end(app, cycle);
  }

  // Why: each unsuccessful sync doubles the time before the next, up to the cap, and says so as a Warning.
  private failed(app: string, cycle: Cycle, history: History, what: string): void {
    const { baseMs, capMs } = this.o.backoff ?? { baseMs: 10_000, capMs: 300_000 };
    history.failures++;
    const delay = Math.min(capMs, baseMs * 2 ** (history.failures - 1));
    history.notBefore = Date.now() + delay;
    cycle.backedOff = history.notBefore; // this Warning says it; the cycle does not say it again
    const message = `${what}; jetway will not sync this app again for ${Math.round(delay / 1000)} s (unsuccessful syncs: ${history.failures})`;
    this.o.log('warn', message, { app });
    this.o.emit(app, cycle.ref, { type: 'Warning', reason: 'SyncBackoff', message }).catch(() => {});
  }

  // Why: the project's sync windows; AppProjects live in Argo CD's namespace. Unreadable (no RBAC) fails closed.
  private async project(app: StoredApplication): Promise<SyncWindow[] | undefined | 'unreadable'> {
    const name = app.spec?.project || 'default';
    const path = `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(this.o.argocdNamespace)}/appprojects/${encodeURIComponent(name)}`;
    const res = await this.o.http.request(path);
    if (res.status === 404) {
      this.o.log('info', `no sync by jetway: AppProject ${name} does not exist (Argo CD cannot sync the app either)`, { project: name });
      return undefined;
    }
    if (res.status === 403) return 'unreadable';
    if (res.status < 200 || res.status >= 300) throw failureFor('GET', path, res.status, res.text);
    return (JSON.parse(res.text) as { spec?: { syncWindows?: SyncWindow[] } }).spec?.syncWindows ?? [];
  }

  // Why: a GET that says "gone" instead of throwing on 404.
  private async read<T>(path: string): Promise<T | undefined> {
    const res = await this.o.http.request(path);
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw failureFor('GET', path, res.status, res.text);
    return JSON.parse(res.text) as T;
  }

  /**
   * SetAppOperation with patch rights only: a merge patch carrying the resourceVersion read (the API server refuses it
   * with 409 if the Application changed, as Update would), setting `operation` and clearing `status.operationState`.
   */
  private async setOperation(ref: ApplicationRef, stored: StoredApplication, operation: SyncOperation): Promise<'set' | 'conflict' | 'gone'> {
    const path = applicationPath(ref);
    const body = JSON.stringify({ metadata: { resourceVersion: stored.metadata?.resourceVersion }, operation, status: { operationState: null } });
    const res = await this.o.http.request(path, { method: 'PATCH', body, contentType: 'application/merge-patch+json' });
    if (res.status === 409) return 'conflict';
    if (res.status === 404) return 'gone';
    if (res.status < 200 || res.status >= 300) throw failureFor('PATCH', path, res.status, res.text);
    return 'set';
  }
}
