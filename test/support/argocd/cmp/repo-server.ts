// The repo-server around the sidecar: plugin selection, error wrapping and the manifest cache (argo-cd reposerver).

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Application, ClusterInfo } from './types.js';
import { buildRequestEnv, goJson, instanceName } from './request-env.js';
import { message, toManifests } from './manifests.js';
import { type CmpResponse, CmpServer } from './sidecar.js';

/** A failed GenerateManifest as the controller receives it; `message` is the repo-server's text. */
export class ManifestGenerationError extends Error {
  override name = 'ManifestGenerationError';
  constructor(
    message: string,
    /** True when served from the failure cache without running anything. */
    readonly cached: boolean,
  ) {
    super(message);
  }
}

export interface RepoServerOptions {
  /** The sidecars, selected by `<name>` or `<name>-<version>`. */
  plugins: CmpServer[];
  /** repoURL -> local directory holding that repository's files. */
  repositories: Record<string, string>;
  cluster?: ClusterInfo;
  argocdNamespace?: string;
  /** ARGOCD_REPO_SERVER_PAUSE_GEN_AFTER_FAILED_ATTEMPTS. Default 3. */
  pauseAfterFailures?: number;
  /** ARGOCD_REPO_SERVER_PAUSE_GEN_MINUTES. Default 60. */
  pauseMinutes?: number;
  /** The clock, for pause and 24 h cache expiry. */
  now?: () => number;
}

/** A successful GenerateManifest. */
export interface ManifestResponse {
  manifests: Record<string, unknown>[];
  revision: string;
  /** True when served from the cache without running the plugin. */
  cached: boolean;
}

interface CacheEntry {
  response?: ManifestResponse;
  consecutiveFailures: number;
  firstFailureAt: number;
  mostRecentError: string;
  expiresAt: number;
}

const CACHE_TTL_MS = 24 * 60 * 60 * 1000;

/** The repo-server in front of the sidecars, with Argo CD's manifest cache. */
export class RepoServerImitation {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cluster: ClusterInfo;
  private readonly now: () => number;

  constructor(private readonly options: RepoServerOptions) {
    this.cluster = options.cluster ?? { kubeVersion: '1.31.2', apiVersions: ['v1', 'v1/ConfigMap', 'apps/v1', 'apps/v1/Deployment'] };
    this.now = options.now ?? Date.now;
  }

  /**
   * GenerateManifest: a normal refresh may be answered from the cache; a hard refresh (NoCache) always runs. `cluster` is
   * what the controller sends (its discovery; part of the key), `deadlineAt` the end of the controller's gRPC context
   * (controller.repo.server.timeout.seconds from the comparison's start), which the sidecar's commands inherit.
   */
  async generate(app: Application, opts: { refresh?: 'normal' | 'hard'; cluster?: ClusterInfo; deadlineAt?: number } = {}): Promise<ManifestResponse> {
    const cluster = opts.cluster ?? this.cluster;
    const key = this.cacheKey(app, cluster);
    if (opts.refresh !== 'hard') {
      const hit = this.cached(key);
      if (hit !== undefined) return hit;
    }
    const repoDir = await this.checkout(app);
    try {
      const manifests = await this.run(app, repoDir, cluster, opts.deadlineAt);
      const response = { manifests, revision: app.revision, cached: false };
      this.cache.set(key, { response, consecutiveFailures: 0, firstFailureAt: 0, mostRecentError: '', expiresAt: this.now() + CACHE_TTL_MS });
      return response;
    } catch (e) {
      const error = message(e);
      const entry = this.live(key) ?? { consecutiveFailures: 0, firstFailureAt: 0, mostRecentError: '', expiresAt: 0 };
      if (entry.firstFailureAt === 0) entry.firstFailureAt = this.now();
      entry.consecutiveFailures++;
      entry.mostRecentError = error;
      entry.expiresAt = this.now() + CACHE_TTL_MS;
      this.cache.set(key, entry);
      throw new ManifestGenerationError(error, false);
    }
  }

  // getManifestCacheEntry: a success is returned, a paused failure is thrown, anything else means "run".
  private cached(key: string): ManifestResponse | undefined {
    const entry = this.live(key);
    if (entry === undefined) return undefined;
    const pauseAfter = this.options.pauseAfterFailures ?? 3;
    if (pauseAfter > 0 && entry.firstFailureAt > 0) {
      if (entry.consecutiveFailures < pauseAfter) return undefined;
      const pauseMinutes = this.options.pauseMinutes ?? 60;
      if (pauseMinutes > 0 && Math.floor((this.now() - entry.firstFailureAt) / 60_000) >= pauseMinutes) {
        this.cache.delete(key);
        return undefined;
      }
      throw new ManifestGenerationError(`Manifest generation error (cached): ${entry.mostRecentError}`, true);
    }
    return entry.response === undefined ? undefined : { ...entry.response, cached: true };
  }

  // A cache entry that has not expired (Redis TTL).
  private live(key: string): CacheEntry | undefined {
    const entry = this.cache.get(key);
    if (entry !== undefined && entry.expiresAt <= this.now()) this.cache.delete(key);
    return this.cache.get(key);
  }

  // NewManifestKey: revision, whole source, destination namespace, instance name, cluster version and APIs (not the project).
  private cacheKey(app: Application, cluster: ClusterInfo): string {
    return goJson([app.revision, app.source, app.destinationNamespace ?? '', instanceName(app, this.options.argocdNamespace ?? 'argocd'), cluster]);
  }

  // runRepoOperation's checkout and apppathutil.Path; these errors are not counted as generation failures.
  private async checkout(app: Application): Promise<string> {
    const repoDir = this.options.repositories[app.source.repoURL];
    if (repoDir === undefined) throw new ManifestGenerationError(`repository not found: ${app.source.repoURL}`, false);
    const stat = await fs.stat(path.join(repoDir, app.source.path)).catch(() => undefined);
    if (stat === undefined) throw new ManifestGenerationError(`${app.source.path}: app path does not exist`, false);
    if (!stat.isDirectory()) throw new ManifestGenerationError(`${app.source.path}: app path is not a directory`, false);
    return repoDir;
  }

  // GenerateManifests for a plugin source, with the repo-server's error wrapping.
  private async run(app: Application, repoDir: string, cluster: ClusterInfo, deadlineAt: number | undefined): Promise<Record<string, unknown>[]> {
    const prefix = `CMP processing failed for application "${instanceName(app, this.options.argocdNamespace ?? 'argocd')}": `;
    const sidecar = this.select(app.source.plugin?.name ?? '');
    if (typeof sidecar === 'string') throw new Error(prefix + sidecar);
    const env = buildRequestEnv(app, cluster, this.options.argocdNamespace);
    let response: CmpResponse;
    try {
      response = await sidecar.generate({ repoDir, appPath: app.source.path, env, ...(deadlineAt === undefined ? {} : { deadlineAt }) });
    } catch (e) {
      throw new Error(`${prefix}error generating manifests in cmp: rpc error: code = Unknown desc = error generating manifests: ${message(e)}`, { cause: e });
    }
    try {
      return toManifests(response.documents);
    } catch (e) {
      // items errors escape GenerateManifests unwrapped; conversion errors carry the CMP prefix.
      throw new Error(message(e).startsWith('items member') ? message(e) : prefix + message(e), { cause: e });
    }
  }

  // DetectConfigManagementPlugin without discovery: a named plugin must exist; an unnamed one is the only sidecar.
  private select(name: string): CmpServer | string {
    if (name === '') {
      const [only, ...others] = this.options.plugins;
      return only !== undefined && others.length === 0 ? only : 'could not find plugin supporting the given repository';
    }
    return this.options.plugins.find((p) => p.socketName === name) ?? `could not find cmp-server plugin with name "${name}" supporting the given repository`;
  }
}
