// Where a run's lookups go (issue 14 items 1 and 4): the Application's destination cluster, read by `jetway serve` with its
// own credentials, under the Application's AppProject when JETWAY_PROJECT_SCOPE is on. Only the service resolves this:
// the plugin container holds no cluster credentials.

import { applicationLabel } from '../cluster/destinations/application.js';
import { DestinationError } from '../cluster/destinations/errors.js';
import type { DestinationResolver } from '../cluster/destinations/resolver.js';
import { failureFor, type KubeHttp } from '../cluster/http.js';
import type { Cluster, KubeObject } from '../cluster/types.js';
import { projectRules, type ProjectScope } from '../host/project-scope.js';
import { applicationPath, applicationRef } from '../refresher/applications.js';

/** The cluster one run's lookups (and `refs`) read, and the project bound on them. */
export interface RunTarget {
  cluster: Cluster;
  /** The destination's server URL as resolved (in-cluster: https://kubernetes.default.svc): RunRecord.destination. */
  server: string;
  /** Set when JETWAY_PROJECT_SCOPE is on. */
  project?: ProjectScope;
}

/** Resolves the run target of an app by its ARGOCD_APP_NAME (`<name>` or `<ns>_<name>`). */
export type RunTargets = (appName: string) => Promise<RunTarget>;

export interface TargetOptions {
  /** The hub (Argo CD's cluster), with serve's own credentials. */
  http: KubeHttp;
  argocdNamespace: string;
  resolver: DestinationResolver;
  projectScope: 'on' | 'off';
}

/** GETs one object from the hub; undefined when it does not exist. */
async function read(http: KubeHttp, path: string): Promise<KubeObject | undefined> {
  const res = await http.request(path);
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status >= 300) throw failureFor('GET', path, res.status, res.text);
  return JSON.parse(res.text) as KubeObject;
}

/** The AppProject an Application belongs to: spec.project as stored on the hub (Argo CD's own default is "default"). */
function projectOf(app: KubeObject): string {
  const project = (app['spec'] as Record<string, unknown> | undefined)?.['project'];
  return typeof project === 'string' && project !== '' ? project : 'default';
}

/** The Application's AppProject from the hub, or a DestinationError naming both. */
async function readProject(http: KubeHttp, argocdNamespace: string, app: KubeObject): Promise<KubeObject> {
  const projectName = projectOf(app);
  const projectPath = `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(argocdNamespace)}/appprojects/${encodeURIComponent(projectName)}`;
  const appProject = await read(http, projectPath).catch((error: unknown) => {
    throw new DestinationError(`${applicationLabel(app)}: cannot read AppProject "${projectName}" (JETWAY_PROJECT_SCOPE is on): ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!appProject) throw new DestinationError(`${applicationLabel(app)}: AppProject "${projectName}" not found in namespace ${argocdNamespace}`);
  return appProject;
}

// Why: one resolution per run, from what the hub says now (Application, cluster Secrets, AppProject), so a changed
// destination, a rotated Secret or an edited project applies to the next run without a restart.
export function runTargets(options: TargetOptions): RunTargets {
  const { http, argocdNamespace, resolver } = options;
  return async (appName) => {
    const ref = applicationRef(appName, argocdNamespace);
    // the cluster Secrets are read while the Application is: resolving needs both, and neither read depends on the other
    const secrets = resolver.readSecrets();
    const app = await read(http, applicationPath(ref)).catch((error: unknown) => {
      throw new DestinationError(`cannot read Application ${ref.namespace}/${ref.name} to find its destination cluster: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (!app) throw new DestinationError(`Application ${ref.namespace}/${ref.name} not found: jetway serve resolves lookups to the cluster the Application deploys to`);
    // the AppProject (JETWAY_PROJECT_SCOPE on) is read while the destination is resolved, for the same reason
    const project = options.projectScope === 'on' ? readProject(http, argocdNamespace, app) : undefined;
    project?.catch(() => undefined); // awaited below; unawaited when resolving failed first
    const resolved = await resolver.resolve(app, secrets);
    // Discovery first (cached per cluster client): an unreachable or refusing cluster fails here, named, before the flight runs.
    await resolved.cluster.restMapping('', 'Namespace', 'v1').catch((error: unknown) => {
      throw new DestinationError(`${applicationLabel(app)}: ${error instanceof Error ? error.message : String(error)}`);
    });
    const target: RunTarget = { cluster: resolved.cluster, server: resolved.server };
    if (!project) return target;
    target.project = {
      project: projectRules(await project),
      cluster: { name: resolved.name, server: resolved.server, project: resolved.project },
      namespace: resolved.namespace,
    };
    return target;
  };
}
