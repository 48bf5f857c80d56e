// Argo CD's application controller, small, over Applications stored in the fake API server, following argo-cd v3.5.1:
// controller/appcontroller.go (processAppRefreshQueueItem, needRefreshAppStatus, persistReconciliationStatus, autoSync,
// alreadyAttemptedSync, selfHealRemainingBackoff, processRequestedAppOperation, setOperationState,
// finalizeApplicationDeletion), controller/state.go (CompareAppState: repo error grace period, resource sync status,
// Unknown when the target cannot be loaded), controller/sync.go (SyncAppState: a comparison through the manifest cache
// at every pass, ComparisonError conditions stop the operation, foreground prune, the delay between waves),
// pkg/apis/application/v1alpha1/types.go (RetryStrategy.NextRetryAt) and util/argo/argo.go (RefreshApp).
//
// Two loops, as the controller has two queues: the refresh loop compares (generating through the repo-server
// imitation, which owns the manifest cache) and starts automated syncs; the operation loop steps syncs wave by wave and
// finalizes deleted Applications. Comparisons run when a refresh is requested (annotation), the source changed, the
// periodic reconciliation is due, a refresh was requested internally (self-heal backoff, end of an operation), or a
// managed live object changed (the live-state cache's refresh; served from the manifest cache; a change during a
// comparison queues the next one). Resources are tracked with the annotation `argocd.argoproj.io/tracking-id` (the
// default since 3.0); a resource is in sync when its last-applied configuration is the target (a stand-in for the
// three-way diff). Per-resource health is not persisted in the status (3.0 default). Applications are read through
// the fake's test controls (the informer) and resources are written over HTTP (kubectl.ts). Resources go to the
// Application's destination cluster (destinations.ts): Argo CD's own, or a cluster registered by a cluster Secret.

import type { KubeObject } from '../../../src/cluster/types.js';
import type { FakeApiServer } from '../apiserver.js';
import type { DestinationCluster, DestinationSpec } from './destinations.js';
import { ManifestGenerationError, type Application as CmpApplication, type ClusterInfo, type RepoServerImitation } from '../cmp-server.js';
import { applicationHealth, type Health } from './health.js';
import { appliedConfiguration, lastAppliedAnnotation, type Kubectl } from './kubectl.js';
import { Loop } from './loop.js';
import { automatedSyncVerdict, type SyncWindow } from '../../../src/refresher/sync-windows.js';
import { groupOf, keyOf, resourceName, syncPass, waveOf, type OperationPhase, type ResourceKey, type ResourceResult, type SyncCandidate } from './sync-operation.js';
import type { Timeline } from './timeline.js';

export const refreshAnnotation = 'argocd.argoproj.io/refresh';
export const refreshTimestampAnnotation = 'argocd.argoproj.io/refresh-timestamp';
export const trackingAnnotation = 'argocd.argoproj.io/tracking-id';
/** The finalizer that makes deleting an Application delete its resources (foreground cascade). */
export const resourcesFinalizer = 'resources-finalizer.argocd.argoproj.io';
const applicationApiVersion = 'argoproj.io/v1alpha1';

/**
 * Which rule consumes the refresh annotation after a reconcile: `v3.5.1` (every release: persistReconciliationStatus
 * removes it whenever the reconcile began with it, so a refresh requested during that reconcile is lost) or `master`
 * (argo-cd #28603, handleRefreshAnnotation: kept when `refresh-timestamp` changed meanwhile).
 */
export type RefreshAnnotationRule = 'v3.5.1' | 'master';

export interface ApplicationSource {
  repoURL: string;
  path: string;
  targetRevision?: string;
  plugin?: NonNullable<CmpApplication['source']['plugin']>;
}

export interface ApplicationSpec {
  project: string;
  destination: DestinationSpec;
  source: ApplicationSource;
  syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean }; retry?: RetryStrategy };
}

export type SyncCode = 'Synced' | 'OutOfSync' | 'Unknown';

export interface ResourceStatus extends ResourceKey {
  version: string;
  status: SyncCode;
  requiresPruning?: boolean;
  syncWave: number;
}

export interface ApplicationCondition {
  type: 'ComparisonError' | 'SyncError';
  message: string;
  lastTransitionTime: string;
}

/** RetryStrategy: `limit` retries (negative: unbounded), waiting duration × factor^retries, at most maxDuration (ms here). */
export interface RetryStrategy {
  limit: number;
  backoff?: { durationMs: number; factor: number; maxDurationMs: number };
}

export interface SyncOperation {
  revision: string;
  prune: boolean;
  source: ApplicationSource;
  /** Set for self-heal syncs and partial syncs: only these are synced. */
  resources?: Array<{ group: string; kind: string; name: string; namespace?: string }>;
  selfHealAttemptsCount?: number;
  /** SyncStrategy: `hook` (the default when absent) or `apply`; either skips hooks here, as the imitation has none. */
  syncStrategy?: { hook?: { force?: boolean }; apply?: { force?: boolean } };
  syncOptions?: string[];
}

export interface Operation {
  sync: SyncOperation;
  initiatedBy: { automated?: boolean; username?: string };
  retry?: RetryStrategy;
  info?: Array<{ name: string; value: string }>;
}

/** AppProject.spec, as far as the controller reads it here: the sync windows. */
export interface AppProjectSpec {
  syncWindows?: SyncWindow[];
}

export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  message: string;
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
  syncResult?: { revision: string; source: ApplicationSource; resources: ResourceResult[] };
}

export interface ApplicationStatus {
  sync?: { status: SyncCode; revision: string; comparedTo: { source: ApplicationSource; destination: ApplicationSpec['destination'] } };
  health?: Health;
  resources?: ResourceStatus[];
  conditions?: ApplicationCondition[];
  operationState?: OperationState;
  reconciledAt?: string;
}

/** An Application as stored. */
export type ApplicationObject = KubeObject & { spec: ApplicationSpec; status?: ApplicationStatus; operation?: Operation };

export interface ApplicationControllerOptions {
  api: FakeApiServer;
  /** Argo CD's own cluster credentials, over HTTP: applies, prunes, discovery, finalizers. */
  kubectl: Kubectl;
  /** The cluster an Application's destination names; default: Argo CD's own cluster for every destination. */
  destinations?: (destination: DestinationSpec) => DestinationCluster;
  repo: Pick<RepoServerImitation, 'generate'>;
  timeline: Timeline;
  /** The commit `targetRevision` resolves to (the repo-server's ResolveRevision). */
  resolveRevision(source: ApplicationSource): string;
  /** Argo CD's own namespace. Default "argocd". */
  argocdNamespace?: string;
  /** --application-namespaces: other namespaces whose Applications it reconciles (apps in any namespace; no globs). */
  applicationNamespaces?: string[];
  tickMs: number;
  /** timeout.reconciliation: the periodic normal refresh. Default 120 s. */
  resyncMs?: number;
  /** --self-heal-backoff-timeout-seconds / -factor / -cap-seconds. Default 2 s, 3, 300 s. */
  selfHealBackoff?: { baseMs: number; factor: number; capMs: number };
  /** --repo-error-grace-period-seconds. Default 180 s. */
  repoErrorGraceMs?: number;
  /** controller.repo.server.timeout.seconds: a manifest request's deadline, from the comparison's start. Default 60 s. */
  repoTimeoutMs?: number;
  /** The retry autoSync gives its operations when the Application sets none. Default limit 5, 5 s × 2^n up to 3 min. */
  syncRetry?: RetryStrategy;
  /** ARGOCD_SYNC_WAVE_DELAY: the sleep after applying a wave that is not the last. Default 2 s. */
  waveDelayMs?: number;
  /** Default `v3.5.1`. */
  refreshAnnotationRule?: RefreshAnnotationRule;
  /**
   * Awaited between a reconcile's comparison and its status write (a slow reconcile: diffing, a busy cluster cache);
   * `requested` when the reconcile began with the refresh annotation.
   */
  afterCompare?(app: string, requested: boolean): Promise<void>;
}

/** What a comparison found. */
interface Comparison {
  revision: string;
  sync: SyncCode;
  health: Health;
  resources: ResourceStatus[];
  candidates: Map<string, SyncCandidate>;
  loadError?: string;
}

/** What the controller remembers of an app between loop passes (in Argo CD: caches and queues, not the status). */
interface Memory {
  liveSignature: string;
  /** apiVersion|Kind of everything the app ever targeted, so pruning finds what the target no longer names. */
  kinds: Set<string>;
  /** An internally requested refresh (requestAppRefresh with a delay). */
  refreshAt?: number;
  /** The last comparison started, even one whose repo error was ignored: the periodic refresh counts from it. */
  attemptedAt?: number;
  repoErrorSince?: number;
}

/** DefaultSyncRetryDuration, -Factor, -MaxDuration, and autoSync's limit. */
const defaultSyncRetry: RetryStrategy = { limit: 5, backoff: { durationMs: 5_000, factor: 2, maxDurationMs: 180_000 } };
const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Node', 'PersistentVolume']);
const nowIso = () => new Date().toISOString();
const keyString = (k: ResourceKey) => `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
const completedPhase = (phase: OperationPhase) => phase === 'Succeeded' || phase === 'Failed' || phase === 'Error';
/**
 * Go's reflect.DeepEqual on the JSON shapes involved here. Parts of the spec copied into the status are structuredClone'd:
 * the fake's store keeps objects by structuredClone, which (unlike JSON on the wire) would keep them aliased.
 */
const sameJson = (a: unknown, b: unknown) => appliedConfiguration(a as KubeObject) === appliedConfiguration(b as KubeObject);
/** time.Kitchen ("3:04PM"), as the retry message prints the next attempt. */
const kitchen = (at: number) => {
  const d = new Date(at);
  const h = d.getUTCHours() % 12 || 12;
  return `${h}:${String(d.getUTCMinutes()).padStart(2, '0')}${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
};

/** RetryStrategy.NextRetryAt: lastAttempt + duration × factor^retries, capped. */
export function nextRetryAt(strategy: RetryStrategy | undefined, lastAttempt: number, retries: number): number {
  const { durationMs, factor, maxDurationMs } = strategy?.backoff ?? defaultSyncRetry.backoff!;
  const wait = durationMs * factor ** retries;
  return lastAttempt + (maxDurationMs > 0 ? Math.min(maxDurationMs, wait) : wait);
}

/** The application controller: compares, auto-syncs (selfHeal) wave by wave, retries, prunes, finalizes deletions. */
export class ApplicationController {
  private readonly memory = new Map<string, Memory>();
  private readonly refreshLoop: Loop;
  private readonly operationLoop: Loop;
  private readonly argocdNamespace: string;
  /** Per destination cluster: its API versions as last read, and the CRDs they were read with. */
  private readonly clusters = new Map<string, { signature: string; info: Promise<ClusterInfo> }>();

  // Why: two queues, two workers: a long generate in a comparison never holds up a sync waiting on health.
  constructor(private readonly o: ApplicationControllerOptions) {
    this.argocdNamespace = o.argocdNamespace ?? 'argocd';
    this.refreshLoop = new Loop('application refresh', o.tickMs, () => this.refreshAll());
    this.operationLoop = new Loop('application operations', o.tickMs, () => this.operateAll());
  }

  /** Errors of controller passes. */
  get errors(): Error[] {
    return [...this.refreshLoop.errors, ...this.operationLoop.errors];
  }

  /** The Application as stored now. */
  application(name: string, namespace = this.argocdNamespace): ApplicationObject | undefined {
    return this.o.api.get(applicationApiVersion, 'Application', namespace, name) as ApplicationObject | undefined;
  }

  /** A user pressing Sync: a full sync of the compared revision, without retries (the API server's Sync, SetAppOperation). */
  sync(name: string, namespace = this.argocdNamespace): void {
    this.o.api.mutate(applicationApiVersion, 'Application', namespace, name, (o) => {
      const app = o as ApplicationObject;
      const operation: Operation = {
        sync: { revision: app.status?.sync?.revision ?? '', prune: app.spec.syncPolicy?.automated?.prune === true, source: structuredClone(app.spec.source) },
        initiatedBy: { username: 'admin' },
      };
      app.operation = operation;
      // SetAppOperation clears the previous operation's state
      if (app.status) delete app.status.operationState;
    });
  }

  /** Stops both loops after their current pass. */
  async stop(): Promise<void> {
    await Promise.all([this.refreshLoop.stop(), this.operationLoop.stop()]);
  }

  /** The Applications this controller reconciles: its namespace's and those of --application-namespaces. */
  private applications(): ApplicationObject[] {
    const namespaces = new Set([this.argocdNamespace, ...(this.o.applicationNamespaces ?? [])]);
    const apps = this.o.api.list(applicationApiVersion, 'Application') as ApplicationObject[];
    const present = new Set(apps.map((a) => `${a.metadata?.namespace}/${a.metadata?.name}`));
    for (const key of this.memory.keys()) if (!present.has(key)) this.memory.delete(key);
    return apps.filter((a) => namespaces.has(a.metadata?.namespace ?? ''));
  }

  // Why: one worker goes through the apps in turn, like the refresh queue.
  private async refreshAll(): Promise<void> {
    for (const app of this.applications()) await this.refresh(app);
  }

  // Why: one worker steps every app with an operation, and finalizes the deleted ones.
  private async operateAll(): Promise<void> {
    for (const app of this.applications()) {
      if (app.operation) await this.operate(app);
      else if (app.metadata?.['deletionTimestamp']) await this.finalizeDeletion(app);
    }
  }

  // Why: the per-app state that Argo CD keeps in informers and queues.
  private mem(app: ApplicationObject): Memory {
    const key = `${app.metadata?.namespace}/${app.metadata?.name}`;
    let memory = this.memory.get(key);
    if (!memory) this.memory.set(key, (memory = { liveSignature: '', kinds: new Set() }));
    return memory;
  }

  /** ARGOCD_APP_NAME: `<name>`, or `<namespace>_<name>` outside Argo CD's namespace (InstanceName). */
  private instanceName(app: ApplicationObject): string {
    const { namespace, name } = app.metadata as { namespace: string; name: string };
    return namespace === this.argocdNamespace ? name : `${namespace}_${name}`;
  }

  // Why: a merge patch of the stored Application (PatchAppWithWriteBack), through the informer's store.
  private patchApp(app: ApplicationObject, change: (stored: ApplicationObject) => void): void {
    if (!this.application(app.metadata!.name!, app.metadata!.namespace)) return;
    this.o.api.mutate(applicationApiVersion, 'Application', app.metadata!.namespace, app.metadata!.name!, (o) => change(o as ApplicationObject));
  }

  /** The Application's destination cluster (GetDestinationCluster); throws Argo CD's message when it cannot be resolved. */
  private destination(app: ApplicationObject): DestinationCluster {
    return this.o.destinations?.(app.spec.destination) ?? { key: 'in-cluster', api: this.o.api, kubectl: this.o.kubectl };
  }

  /**
   * The destination cluster's version and API versions the controller sends with each manifest request (part of the
   * repo-server's cache key), from discovery through the live-state cache; read again when the cluster's CRDs change.
   */
  private clusterInfo(cluster: DestinationCluster): Promise<ClusterInfo> {
    const crds = cluster.api.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    const signature = crds
      .map((c) => `${c.metadata?.name}@${c.metadata?.resourceVersion}`)
      .sort()
      .join(',');
    let cached = this.clusters.get(cluster.key);
    if (cached?.signature !== signature) {
      const info = cluster.kubectl.apiVersions().then((apiVersions) => ({ kubeVersion: 'v1.31.2', apiVersions }));
      cached = { signature, info };
      this.clusters.set(cluster.key, cached);
      info.catch(() => {
        if (this.clusters.get(cluster.key)?.info === info) this.clusters.delete(cluster.key);
      });
    }
    return cached.info;
  }

  // Why: processAppRefreshQueueItem: needRefreshAppStatus decides whether and how hard to compare; then CompareAppState,
  // autoSync and persistReconciliationStatus against the Application as it was when the reconcile began.
  private async refresh(app: ApplicationObject): Promise<void> {
    const memory = this.mem(app);
    const began = structuredClone(app.metadata?.annotations ?? {});
    const trigger = this.refreshTrigger(app, memory);
    if (!trigger) return;
    memory.refreshAt = undefined;
    memory.attemptedAt = Date.now();
    // what the live-state cache has reported so far: a change from now on (during the comparison too) queues another
    memory.liveSignature = this.liveSignature(app, memory);
    const comparison = await this.compare(app, memory, trigger);
    if (comparison === 'ignored') return;
    await this.o.afterCompare?.(this.instanceName(app), began[refreshAnnotation] !== undefined);
    const current = this.application(app.metadata!.name!, app.metadata!.namespace);
    if (!current) return;
    // processAppRefreshQueueItem: autoSync only when the project's sync windows allow an automated sync now
    const syncError = this.windowsAllow(current) ? this.autoSync(current, comparison, memory) : undefined;
    this.o.timeline.add({ what: 'compared', app: this.instanceName(app), sync: comparison.sync, health: comparison.health.status });
    this.patchApp(app, (stored) => {
      const next: ApplicationStatus = { ...(stored.status ?? {}) };
      // state.go: comparedTo is the source this comparison generated from, not the spec stored now; a spec edited
      // during the generate stays different from it, so the next pass compares again
      next.sync = { status: comparison.sync, revision: comparison.revision, comparedTo: structuredClone({ source: app.spec.source, destination: app.spec.destination }) };
      next.health = comparison.health;
      next.resources = comparison.resources;
      next.reconciledAt = nowIso();
      next.conditions = this.conditions(next.conditions ?? [], comparison.loadError, syncError);
      stored.status = next;
      consumeRefreshAnnotation(stored, began, this.o.refreshAnnotationRule ?? 'v3.5.1');
    });
  }

  /**
   * needRefreshAppStatus: a requested refresh (annotation) or a changed source compare at level 3 (no revision cache;
   * `hard` skips the manifest cache); the periodic reconciliation, an internal request and a live change compare normally.
   */
  private refreshTrigger(app: ApplicationObject, memory: Memory): { hard: boolean; noRevisionCache: boolean } | undefined {
    const requested = app.metadata?.annotations?.[refreshAnnotation];
    if (requested !== undefined) return { hard: requested === 'hard', noRevisionCache: true };
    const status = app.status ?? {};
    if (!status.sync || !sameJson(app.spec.source, status.sync.comparedTo.source)) return { hard: false, noRevisionCache: true };
    const last = Math.max(status.reconciledAt ? Date.parse(status.reconciledAt) : 0, memory.attemptedAt ?? 0);
    const due = Date.now() - last >= (this.o.resyncMs ?? 120_000) || (memory.refreshAt !== undefined && Date.now() >= memory.refreshAt) || this.liveSignature(app, memory) !== memory.liveSignature;
    return due ? { hard: false, noRevisionCache: false } : undefined;
  }

  /** SetConditions for the two condition types the controller owns here; an unchanged message keeps its transition time. */
  private conditions(existing: ApplicationCondition[], comparisonError: string | undefined, syncError: string | undefined): ApplicationCondition[] {
    const keep = existing.filter((c) => c.type !== 'ComparisonError' && c.type !== 'SyncError');
    for (const [type, message] of [
      ['ComparisonError', comparisonError],
      ['SyncError', syncError],
    ] as const) {
      if (message === undefined) continue;
      const same = existing.find((c) => c.type === type && c.message === message);
      keep.push(same ?? { type, message, lastTransitionTime: nowIso() });
    }
    return keep;
  }

  // Why: CompareAppState: manifests from the repo-server (cache unless hard), live objects by tracking id, sync status and health.
  // `operation`: an operation pass's comparison, which the timeline records only when it did not come from the cache
  private async compare(app: ApplicationObject, memory: Memory, opts: { hard: boolean; noRevisionCache: boolean; operation?: boolean }, source = app.spec.source): Promise<Comparison | 'ignored'> {
    const instance = this.instanceName(app);
    const revision = this.o.resolveRevision(source);
    const started = Date.now();
    const request: CmpApplication = {
      name: app.metadata!.name!,
      namespace: app.metadata!.namespace,
      project: app.spec.project,
      destinationNamespace: app.spec.destination.namespace,
      source,
      revision,
    };
    let manifests: Record<string, unknown>[] = [];
    let loadError: string | undefined;
    let destination: DestinationCluster | undefined;
    try {
      destination = this.destination(app);
      const cluster = await this.clusterInfo(destination);
      const response = await this.o.repo.generate(request, { refresh: opts.hard ? 'hard' : 'normal', cluster, deadlineAt: started + (this.o.repoTimeoutMs ?? 60_000) });
      manifests = response.manifests;
      memory.repoErrorSince = undefined;
      if (!(opts.operation && response.cached))
        this.o.timeline.add({
          what: 'generated',
          app: instance,
          refresh: opts.hard ? 'hard' : 'normal',
          result: response.cached ? 'cached' : 'ran',
          durationMs: Date.now() - started,
          objects: manifests.map((m) => resourceName(keyOf(m as KubeObject))),
        });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const paused = error instanceof ManifestGenerationError && error.cached;
      this.o.timeline.add({
        what: 'generated',
        app: instance,
        refresh: opts.hard ? 'hard' : 'normal',
        result: paused ? 'cached' : 'failed',
        durationMs: Date.now() - started,
        objects: [],
        error: message,
      });
      // state.go: outside level-3 comparisons, a repo error is ignored for the grace period after it was first seen
      if (!opts.noRevisionCache) {
        if (memory.repoErrorSince === undefined) {
          memory.repoErrorSince = Date.now();
          return 'ignored';
        }
        if (Date.now() - memory.repoErrorSince <= (this.o.repoErrorGraceMs ?? 180_000)) return 'ignored';
      }
      // GetRepoObjs wraps the repo-server's gRPC error
      loadError = `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${message}`;
    }
    const targets = destination ? manifests.map((m) => this.normalize(m as KubeObject, app, instance, destination)) : [];
    for (const t of targets) memory.kinds.add(`${t.apiVersion}|${t.kind}`);
    const candidates = new Map<string, SyncCandidate>();
    for (const target of targets) candidates.set(keyString(keyOf(target)), { target, live: undefined });
    for (const live of this.managedLive(app, memory)) {
      const key = keyString(keyOf(live));
      candidates.set(key, { target: candidates.get(key)?.target, live });
    }
    const resources: ResourceStatus[] = [];
    let sync: SyncCode = 'Synced';
    for (const { target, live } of candidates.values()) {
      const object = (target ?? live)!;
      const inSync = target !== undefined && live !== undefined && live.metadata?.annotations?.[lastAppliedAnnotation] === appliedConfiguration(target);
      const status: SyncCode = loadError !== undefined ? 'Unknown' : inSync ? 'Synced' : 'OutOfSync';
      if (status === 'OutOfSync') sync = 'OutOfSync';
      resources.push({
        ...keyOf(object),
        version: (object.apiVersion ?? '').split('/').at(-1) ?? '',
        status,
        ...(target === undefined ? { requiresPruning: true } : {}),
        syncWave: target ? waveOf(target) : 0,
      });
    }
    if (loadError !== undefined) sync = 'Unknown';
    resources.sort((a, b) => keyString(a).localeCompare(keyString(b)));
    return { revision, sync, health: applicationHealth([...candidates.values()]), resources, candidates, loadError };
  }

  // Why: NormalizeTargetObjects + SetAppInstance: destination namespace on namespaced objects, and the tracking id.
  private normalize(object: KubeObject, app: ApplicationObject, instance: string, cluster: DestinationCluster): KubeObject {
    const namespaced = this.isNamespaced(cluster.api, object.apiVersion ?? '', object.kind ?? '');
    const metadata = { ...(object.metadata ?? {}) };
    if (namespaced && !metadata.namespace) metadata.namespace = app.spec.destination.namespace;
    if (!namespaced) delete metadata.namespace;
    const normalized = { ...object, metadata };
    metadata.annotations = { ...(metadata.annotations ?? {}), [trackingAnnotation]: trackingId(instance, normalized) };
    return normalized;
  }

  // Why: the live-state cache knows each kind's scope from discovery; built-ins here, custom resources from their CRD.
  private isNamespaced(api: FakeApiServer, apiVersion: string, kind: string): boolean {
    if (groupOf(apiVersion) === '' || !apiVersion.includes('.')) return !clusterScoped.has(kind);
    const crd = api
      .list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')
      .find((c) => (c['spec'] as { group?: string; names?: { kind?: string } }).group === groupOf(apiVersion) && (c['spec'] as { names?: { kind?: string } }).names?.kind === kind);
    return crd === undefined ? !clusterScoped.has(kind) : (crd['spec'] as { scope?: string }).scope !== 'Cluster';
  }

  /** Live objects in the destination cluster whose tracking id names this app and the object itself (isSelfReferencedObj). */
  private managedLive(app: ApplicationObject, memory: Memory): KubeObject[] {
    const instance = this.instanceName(app);
    const found: KubeObject[] = [];
    let api: FakeApiServer;
    try {
      api = this.destination(app).api;
    } catch {
      return found; // no such cluster: nothing of it is known live
    }
    for (const entry of memory.kinds) {
      const [apiVersion, kind] = entry.split('|') as [string, string];
      let objects: KubeObject[];
      try {
        objects = api.list(apiVersion, kind);
      } catch {
        continue; // the kind is not served (yet): nothing of it is live
      }
      for (const o of objects) if (o.metadata?.annotations?.[trackingAnnotation] === trackingId(instance, o)) found.push(o);
    }
    return found;
  }

  /** The resourceVersions of the app's live objects: a change is what the live-state cache reports. */
  private liveSignature(app: ApplicationObject, memory: Memory): string {
    return this.managedLive(app, memory)
      .map((o) => `${keyString(keyOf(o))}@${o.metadata?.resourceVersion}`)
      .sort()
      .join(',');
  }

  // Why: autoSync: only OutOfSync apps without an operation or deletion; the first sync of a revision is full; later ones
  // need selfHeal and wait out its backoff; a failed last attempt is not retried (its retries ran inside the operation).
  private autoSync(app: ApplicationObject, comparison: Comparison, memory: Memory): string | undefined {
    const automated = app.spec.syncPolicy?.automated;
    if (!automated || app.operation || app.metadata?.['deletionTimestamp'] || comparison.sync !== 'OutOfSync') return undefined;
    const outOfSync = comparison.resources.filter((r) => r.status !== 'Synced');
    if (!automated.prune && outOfSync.every((r) => r.requiresPruning)) return undefined; // need to prune only, but prune is off
    const op: Operation = {
      sync: { revision: comparison.revision, prune: automated.prune === true, source: structuredClone(app.spec.source) },
      initiatedBy: { automated: true },
      retry: structuredClone(app.spec.syncPolicy?.retry ?? this.o.syncRetry ?? defaultSyncRetry),
    };
    const state = app.status?.operationState;
    const attempted =
      state !== undefined && (state.syncResult === undefined ? completedPhase(state.phase) : state.syncResult.revision === comparison.revision && sameJson(state.syncResult.source, app.spec.source));
    if (attempted) {
      if (state.phase !== 'Succeeded') return `Failed last sync attempt to [${state.syncResult?.revision ?? ''}]: ${state.message}`;
      if (!automated.selfHeal) return undefined; // "Skipping auto-sync: most recent sync already to ..."
      const attempts = state.operation.sync.selfHealAttemptsCount ?? 0;
      const remaining = this.selfHealDelay(attempts) - (Date.now() - Date.parse(state.finishedAt ?? nowIso()));
      if (remaining > 0) {
        memory.refreshAt = Date.now() + remaining;
        return undefined;
      }
      op.sync.selfHealAttemptsCount = attempts + 1;
      op.sync.resources = outOfSync.map((r) => ({ group: r.group, kind: r.kind, name: r.name }));
    }
    if (automated.prune && !automated.allowEmpty && comparison.resources.every((r) => r.requiresPruning)) {
      return `Skipping sync attempt to [${comparison.revision}]: auto-sync will wipe out all resources`;
    }
    this.patchApp(app, (stored) => {
      stored.operation = op;
    });
    return undefined;
  }

  /** The project's sync windows allow an automated sync now (CanSync(false, nil)); an invalid window does not. */
  private windowsAllow(app: ApplicationObject): boolean {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the rule misreads KubeObject's index signature; tsc needs the cast
    const project = this.o.api.get(applicationApiVersion, 'AppProject', this.argocdNamespace, app.spec.project) as (KubeObject & { spec?: AppProjectSpec }) | undefined;
    const target = { name: app.metadata!.name!, destination: app.spec.destination };
    return automatedSyncVerdict(project?.spec?.syncWindows, target, new Date()).allowed;
  }

  /** selfHealRemainingBackoff's delay: wait.Backoff stepped `attempts` times (0 for the first self-heal of a revision). */
  private selfHealDelay(attempts: number): number {
    const { baseMs, factor, capMs } = this.o.selfHealBackoff ?? { baseMs: 2_000, factor: 3, capMs: 300_000 };
    let delay = 0;
    let next = baseMs;
    for (let i = 0; i < attempts; i++) {
      delay = next;
      next = Math.min(next * factor, capMs);
    }
    return delay;
  }

  // Why: processRequestedAppOperation: start or resume the operation (waiting out a retry's backoff), run one pass of
  // SyncAppState, turn a failure into a scheduled retry while the retry limit allows, and persist the state.
  private async operate(app: ApplicationObject): Promise<void> {
    const memory = this.mem(app);
    const instance = this.instanceName(app);
    const operation = app.operation!;
    const stored = app.status?.operationState;
    let state: OperationState;
    if (stored !== undefined && !completedPhase(stored.phase)) {
      state = structuredClone(stored);
      if (state.phase === 'Running' && state.finishedAt !== undefined) {
        if (Date.now() < nextRetryAt(operation.retry, Date.parse(state.finishedAt), state.retryCount ?? 0)) return;
        state.message = `Retrying operation. Attempt #${state.retryCount ?? 0}`;
        delete state.finishedAt;
        delete state.syncResult;
        this.o.timeline.add({ what: 'sync-retried', app: instance, attempt: state.retryCount ?? 0 });
        this.setOperationState(app, state);
      }
    } else {
      state = { operation, phase: 'Running', message: '', startedAt: nowIso() };
      this.setOperationState(app, state);
    }
    await this.syncAppState(app, memory, state);
    if (state.phase === 'Failed' || state.phase === 'Error') {
      const retries = state.retryCount ?? 0;
      const limit = operation.retry?.limit ?? 0;
      if (retries < limit || limit < 0) {
        const now = Date.now();
        state.phase = 'Running';
        state.finishedAt = new Date(now).toISOString();
        state.retryCount = retries + 1;
        state.message = `${state.message}. Retrying attempt #${state.retryCount} at ${kitchen(nextRetryAt(operation.retry, now, retries))}.`;
        this.o.timeline.add({ what: 'sync-failed', app: instance, message: state.message });
      } else if (retries > 0) {
        state.message = `${state.message} (retried ${retries} times).`;
      }
    }
    this.setOperationState(app, state);
    if (completedPhase(state.phase)) {
      this.o.timeline.add({ what: 'sync-finished', app: instance, phase: state.phase, message: state.message });
      memory.refreshAt = Date.now();
    }
  }

  // Why: SyncAppState: compare through the manifest cache (level 3, never a hard refresh), refuse on a ComparisonError,
  // then one gitops-engine pass over this comparison's resources (only the operation's own for a self-heal sync).
  private async syncAppState(app: ApplicationObject, memory: Memory, state: OperationState): Promise<void> {
    const instance = this.instanceName(app);
    const operation = state.operation;
    const fresh = state.syncResult === undefined;
    state.syncResult ??= { revision: operation.sync.revision, source: operation.sync.source, resources: [] };
    // syncWindowPreventsSync: an automated operation waits while the windows deny it (manual ones and overrun: not modelled)
    if (operation.initiatedBy.automated && !this.windowsAllow(app)) {
      state.message = 'Sync operation blocked by sync window';
      return;
    }
    // the operation's own source (syncResult.source), not the spec's: an edit during the sync does not change its plan
    const comparison = await this.compare(app, memory, { hard: false, noRevisionCache: true, operation: true }, state.syncResult.source);
    if (comparison === 'ignored' || comparison.loadError !== undefined) {
      state.phase = 'Error';
      state.message = `ComparisonError: ${comparison === 'ignored' ? 'no target state' : comparison.loadError}`;
      return;
    }
    state.syncResult.revision = comparison.revision;
    const wanted = operation.sync.resources;
    const selected = [...comparison.candidates.values()].filter(({ target, live }) => {
      const key = keyOf((target ?? live)!);
      // SyncOperationResource.HasIdentity: a resource named without a namespace matches it in any
      return wanted === undefined || wanted.some((w) => w.group === key.group && w.kind === key.kind && w.name === key.name && (!w.namespace || w.namespace === key.namespace));
    });
    if (fresh && state.retryCount === undefined) {
      this.o.timeline.add({
        what: 'sync-started',
        app: instance,
        selfHeal: operation.sync.selfHealAttemptsCount !== undefined,
        initiatedBy: operation.initiatedBy.username ?? (operation.initiatedBy.automated ? 'automated' : ''),
        automated: operation.initiatedBy.automated === true,
        revision: operation.sync.revision,
        resources: selected.map((c) => resourceName(keyOf((c.target ?? c.live)!))),
      });
    }
    const pass = await syncPass(
      { kubectl: this.destination(app).kubectl, timeline: this.o.timeline, app: instance, prune: operation.sync.prune, waveDelayMs: this.o.waveDelayMs ?? 2_000 },
      selected,
      state.syncResult.resources,
    );
    state.phase = pass.phase;
    state.message = pass.message;
    state.syncResult.resources = pass.results;
  }

  // Why: setOperationState: a completed operation gets its finishedAt and clears `operation`.
  private setOperationState(app: ApplicationObject, state: OperationState): void {
    if (completedPhase(state.phase)) state.finishedAt = nowIso();
    this.patchApp(app, (stored) => {
      stored.status = { ...(stored.status ?? {}), operationState: structuredClone(state) };
      if (completedPhase(state.phase)) delete stored.operation;
    });
  }

  // Why: finalizeApplicationDeletion: with the resources finalizer, delete every managed object (foreground), wait until
  // they are gone, then remove the finalizer so the API server deletes the Application.
  private async finalizeDeletion(app: ApplicationObject): Promise<void> {
    const finalizers = (app.metadata?.['finalizers'] as string[] | undefined) ?? [];
    if (!finalizers.includes(resourcesFinalizer)) return;
    const instance = this.instanceName(app);
    const live = this.managedLive(app, this.mem(app));
    for (const object of live.filter((o) => o.metadata?.['deletionTimestamp'] === undefined)) {
      await this.destination(app).kubectl.deleteForeground(object);
      this.o.timeline.add({ what: 'deleted', app: instance, resource: resourceName(keyOf(object)) });
    }
    if (live.length > 0) return;
    await this.o.kubectl.mergePatch(app, { metadata: { finalizers: finalizers.filter((f) => f !== resourcesFinalizer) } });
    this.o.timeline.add({ what: 'application-deleted', app: instance });
  }
}

/** Argo CD's annotation tracking id: `<app>:<group>/<Kind>:<namespace>/<name>`. */
function trackingId(instance: string, object: KubeObject): string {
  const key = keyOf(object);
  return `${instance}:${key.group}/${key.kind}:${key.namespace}/${key.name}`;
}

/**
 * The refresh annotation after a reconcile that began with annotations `began`. v3.5.1 (persistReconciliationStatus): a
 * merge patch from the annotations the reconcile began with to those without `refresh` removes it whenever it was there
 * at the start, even when it was set again meanwhile. master (handleRefreshAnnotation): removed with its timestamp
 * unless the timestamp changed meanwhile (a new request arrived).
 */
function consumeRefreshAnnotation(stored: KubeObject, began: Record<string, string>, rule: RefreshAnnotationRule): void {
  const annotations = stored.metadata?.annotations;
  if (!annotations || began[refreshAnnotation] === undefined) return;
  if (rule === 'v3.5.1') {
    delete annotations[refreshAnnotation];
    return;
  }
  const seenTimestamp = began[refreshTimestampAnnotation];
  if (seenTimestamp !== undefined && annotations[refreshTimestampAnnotation] !== seenTimestamp) return;
  if (seenTimestamp !== undefined) delete annotations[refreshTimestampAnnotation];
  delete annotations[refreshAnnotation];
}
