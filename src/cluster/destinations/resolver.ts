// From an Application to a client for its destination cluster, matching clusters the way Argo CD v3.5.1 does
// (util/argo/argo.go GetDestinationServer / GetDestinationCluster, util/db/cluster.go GetCluster / GetClusterServersByName),
// with one client per cluster kept while its Secret is unchanged and replaced when the Secret changes (rotated token or CA).

import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../kube.js';
import type { KubeObject } from '../types.js';
import { destinationOf, applicationLabel, type ApplicationDestination } from './application.js';
import { clusterFromSecret, clusterLabel, inClusterName, inClusterServer, parseClusterConfig, type ArgoCluster } from './argo-cluster.js';
import type { ClusterSecretSource } from './cluster-secrets.js';
import { DestinationError } from './errors.js';
import { inClusterKubeConfig, remoteKubeConfig } from './kubeconfig.js';
import { NamedCluster } from './named-cluster.js';

export interface ResolverOptions {
  /** The cluster Secrets of the Argo CD namespace, read on every resolve. */
  secrets: ClusterSecretSource;
  /** The in-cluster credentials (the service's own: loadKubeConfig({}) in a pod). Called once. */
  inCluster: () => KubeConfig;
  /** argocd-cm `cluster.inClusterEnabled` (readInClusterSetting()), asked only when a destination involves the in-cluster one; default on. */
  inClusterEnabled?: () => Promise<boolean>;
  /** Per-request timeout of the clients. */
  timeoutMs?: number;
  /** How long a replaced client stays open for runs still using it; default 60 s (longer than a lookup with retries). */
  retireAfterMs?: number;
}

/** Where an Application's lookups go. */
export interface ResolvedDestination {
  /** `in-cluster`, or the cluster Secret's `namespace/name`: one client per key. */
  key: string;
  /** The cluster's name and server, as Argo CD's project checks see them. */
  name: string;
  server: string;
  /** The AppProject the cluster Secret is scoped to (`data.project`), or ''. */
  project: string;
  inCluster: boolean;
  /** spec.destination.namespace. */
  namespace: string;
  /** The Secret's content hash ('' for the plain in-cluster client): a new one means new credentials. */
  version: string;
  cluster: NamedCluster;
}

interface CachedClient {
  version: string;
  cluster: NamedCluster;
}

const inClusterKey = 'in-cluster';

/** What an admin reads when the in-cluster destination is refused, and what to change. */
const disabledBecause = 'argocd-cm sets cluster.inClusterEnabled: "false", so Argo CD deploys nothing to its own cluster; set spec.destination to a registered cluster, or remove that setting';

/** A hash of what a Secret says (uid and data), so an edit of any credential, and only that, replaces the client. */
function secretVersion(secret: KubeObject): string {
  const data = (secret['data'] ?? {}) as Record<string, string>;
  const canonical = JSON.stringify([
    secret.metadata?.['uid'] ?? '',
    Object.keys(data)
      .sort()
      .map((k) => [k, data[k]]),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** A cluster Secret with what was read from it. */
interface Registered {
  secret: KubeObject;
  cluster: ArgoCluster;
}

/** Resolves destinations and owns one client per destination cluster. */
export class DestinationResolver {
  private readonly clients = new Map<string, CachedClient>();
  private readonly retired = new Map<NamedCluster, NodeJS.Timeout>();
  private local: KubeConfig | undefined;

  constructor(private readonly options: ResolverOptions) {}

  /**
   * The cluster an Application deploys to and a client for it, or a DestinationError naming the Application and the
   * cluster. `secrets`: the cluster Secrets when the caller started reading them already (readSecrets), else read now.
   */
  async resolve(app: KubeObject, secrets: Promise<KubeObject[]> = this.readSecrets()): Promise<ResolvedDestination> {
    return this.resolveDestination(applicationLabel(app), destinationOf(app), secrets);
  }

  /** Starts reading the cluster Secrets, so a caller can do so while it reads the Application (see resolve). */
  readSecrets(): Promise<KubeObject[]> {
    const reading = this.options.secrets();
    reading.catch(() => undefined); // reported by the resolve that awaits it; unawaited when the Application read failed first
    return reading;
  }

  /**
   * The cluster registered with `server` (as a run record carries it) and a client for it, read from the cluster Secrets
   * now: the refresher's watches follow a record's destination with it. `where` prefixes every message.
   */
  async resolveServer(server: string, where: string): Promise<ResolvedDestination> {
    return this.resolveDestination(where, { server: server.replace(/\/+$/, ''), name: '', namespace: '' }, this.readSecrets());
  }

  // Why: one resolution for both entry points, Argo CD's order of checks.
  private async resolveDestination(where: string, destination: ApplicationDestination, reading: Promise<KubeObject[]>): Promise<ResolvedDestination> {
    const secrets = await reading.catch((error: unknown) => {
      throw new DestinationError(`${where}: cannot read Argo CD's cluster Secrets: ${error instanceof Error ? error.message : String(error)}`);
    });
    const registered: Registered[] = secrets.map((secret) => ({ secret, cluster: clusterFromSecret(secret) }));
    this.sweep(registered);
    // argocd-cm is read only when the in-cluster destination is involved, as Argo CD's GetCluster and GetClusterServersByName do
    const inClusterOn = async (): Promise<boolean> =>
      (await this.options.inClusterEnabled?.().catch((error: unknown) => {
        throw new DestinationError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
      })) ?? true;
    const server = await this.serverOf(where, destination, registered, inClusterOn);
    const matches = registered.filter((r) => r.cluster.server === server);
    if (matches.length > 1) {
      const label = clusterLabel({ name: destination.name, server });
      throw new DestinationError(`${where}: ${label} is registered by ${matches.length} cluster Secrets (${matches.map((m) => m.cluster.secret).join(', ')}); delete all but one`);
    }
    const match = matches[0];
    if (server === inClusterServer) {
      if (!(await inClusterOn())) throw new DestinationError(`${where}: cluster "${inClusterServer}" is disabled: ${disabledBecause}`);
      return this.inCluster(where, destination, match);
    }
    if (!match) {
      throw new DestinationError(`${where}: cluster ${server} not found: no Secret labelled argocd.argoproj.io/secret-type=cluster has server ${server}; register the cluster with Argo CD`);
    }
    return this.remote(where, destination, match);
  }

  /** GetDestinationServer and GetClusterServersByName: the server a destination names. */
  private async serverOf(where: string, destination: ApplicationDestination, registered: Registered[], inClusterOn: () => Promise<boolean>): Promise<string> {
    if (destination.server !== '') return destination.server;
    let named = registered.filter((r) => r.cluster.name === destination.name);
    const involvesInCluster = destination.name === inClusterName || named.some((r) => r.cluster.server === inClusterServer);
    const on = involvesInCluster ? await inClusterOn() : true;
    if (!on) named = named.filter((r) => r.cluster.server !== inClusterServer);
    if (named.length === 0 && destination.name === inClusterName && on) return inClusterServer;
    if (named.length === 0) {
      throw new DestinationError(
        `${where}: there are no clusters with this name: ${destination.name}${involvesInCluster && !on ? ` (the in-cluster destination is disabled: ${disabledBecause})` : ''}`,
      );
    }
    if (named.length > 1) {
      throw new DestinationError(
        `${where}: there are ${named.length} clusters with the same name: ${destination.name} (Secrets ${named.map((r) => r.cluster.secret).join(', ')}); rename or delete all but one`,
      );
    }
    return named[0]!.cluster.server;
  }

  // RawRestConfig's kubernetes.default.svc cases: the service's own credentials, or the Secret's token/basic auth over them.
  private inCluster(where: string, destination: ApplicationDestination, match: Registered | undefined): ResolvedDestination {
    const name = match?.cluster.name || inClusterName;
    const label = clusterLabel({ name, server: inClusterServer });
    const version = match ? secretVersion(match.secret) : '';
    const cluster = this.client(inClusterKey, version, label, () => {
      this.local ??= this.options.inCluster();
      const credentials = match ? parseClusterConfig(match.cluster, where) : undefined;
      return inClusterKubeConfig(this.local, credentials, `${inClusterKey}-${version}`);
    });
    return { key: inClusterKey, name, server: inClusterServer, project: match?.cluster.project ?? '', inCluster: true, namespace: destination.namespace, version, cluster };
  }

  private remote(where: string, destination: ApplicationDestination, match: Registered): ResolvedDestination {
    const version = secretVersion(match.secret);
    const { cluster: argo } = match;
    const cluster = this.client(argo.secret, version, clusterLabel(argo), () => remoteKubeConfig(argo, parseClusterConfig(argo, where), `${argo.secret}-${version}`));
    return { key: argo.secret, name: argo.name, server: argo.server, project: argo.project, inCluster: false, namespace: destination.namespace, version, cluster };
  }

  // The cached client while the Secret is unchanged; otherwise a new one, the old one closed once runs using it are done.
  private client(key: string, version: string, label: string, kubeConfig: () => KubeConfig): NamedCluster {
    const cached = this.clients.get(key);
    if (cached && cached.version === version) return cached.cluster;
    const cluster = new NamedCluster(label, new KubeCluster(kubeConfig(), this.options.timeoutMs));
    if (cached) this.retire(cached.cluster);
    this.clients.set(key, { version, cluster });
    return cluster;
  }

  // Clients of clusters whose Secret is gone are retired, so a deleted registration holds no connections.
  private sweep(registered: Registered[]): void {
    const live = new Set(registered.map((r) => r.cluster.secret));
    for (const [key, cached] of this.clients) {
      if (key !== inClusterKey && !live.has(key)) {
        this.clients.delete(key);
        this.retire(cached.cluster);
      }
    }
  }

  private retire(cluster: NamedCluster): void {
    const timer = setTimeout(() => {
      this.retired.delete(cluster);
      cluster.close();
    }, this.options.retireAfterMs ?? 60_000);
    timer.unref();
    this.retired.set(cluster, timer);
  }

  /** How many clients are open (current and retiring): for metrics and tests. */
  get openClients(): number {
    return this.clients.size + this.retired.size;
  }

  /** Closes every client. */
  close(): void {
    for (const [cluster, timer] of this.retired) {
      clearTimeout(timer);
      cluster.close();
    }
    this.retired.clear();
    for (const { cluster } of this.clients.values()) cluster.close();
    this.clients.clear();
  }
}
