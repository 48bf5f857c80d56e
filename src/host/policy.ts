// yoke's access policy for host calls (internal/wasi/host/host.go), in yoke's order, plus ref tracking.

import { ClusterError, type Cluster, type KubeObject, type RestMapping } from '../cluster/types.js';
import { fingerprint } from '../cluster/fingerprint.js';
import { groupKindString, splitApiVersion } from '../cluster/names.js';
import { matchesObject, refString } from './matcher.js';
import { isOwnedBy } from './ownership.js';
import { projectDenial, type ProjectScope } from './project-scope.js';
import type { LookupRef } from './refs.js';
import { State, featureNotGrantedMessage, outsideOwnershipMessage, type HostAnswer, type HostCall, type StateCode } from '../wasi/states.js';

export interface AccessOptions {
  /** undefined = cluster access not granted. */
  cluster: Cluster | undefined;
  release: string;
  namespace: string;
  /** The app's matchers. */
  matchers: readonly string[];
  /** An admin ceiling: when set, a non-owned object must match one of these as well. */
  lookupCeiling?: readonly string[] | undefined;
  /** The app's AppProject scope (when JETWAY_PROJECT_SCOPE is on): when set, a non-owned object must also be where the project deploys. */
  project?: ProjectScope | undefined;
}

/** A host handler plus the references it recorded. */
export interface AccessHost {
  handle(call: HostCall): Promise<HostAnswer>;
  refs(): LookupRef[];
}

const stateOf: Record<ClusterError['reason'], StateCode> = {
  NotFound: State.NotFound,
  Unauthenticated: State.Unauthenticated,
  Forbidden: State.Forbidden,
  Error: State.Error,
};

/** Go's schema.ParseGroupVersion: `` and `v1` and `g/v`; anything with two slashes is an error. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion.split('/').length > 2) throw new ClusterError('Error', `unexpected GroupVersion string: ${apiVersion}`);
  return splitApiVersion(apiVersion);
}

/** A name or namespace must be one URL path segment: anything else could walk to another object. */
function checkSegment(what: string, value: string, required: boolean): void {
  if (required && value === '') throw new ClusterError('Error', `resource ${what} may not be empty`);
  if (value === '.' || value === '..' || /[/%\\]/.test(value) || /[\u0000-\u001f]/.test(value)) {
    throw new ClusterError('Error', `invalid resource ${what} ${JSON.stringify(value)}: may not be "." or ".." or contain "/", "%", "\\" or control characters`);
  }
}

/** apimachinery's NoKindMatchError text, which flights may print. */
function noKindMatch(group: string, kind: string, version: string): string {
  return version === ''
    ? `no matches for kind ${JSON.stringify(kind)} in group ${JSON.stringify(group)}`
    : `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(group === '' ? version : `${group}/${version}`)}`;
}

/** Builds the per-run handler for `k8s_lookup` and `k8s_rest_mapping`. */
export function createAccessHost(options: AccessOptions): AccessHost {
  const recorded = new Map<string, LookupRef>();
  const refreshedKinds = new Set<string>();

  // A kind unknown to discovery may be a CRD created since: refresh once per kind per run, unless another run already has.
  async function mapping(cluster: Cluster, group: string, kind: string, version: string): Promise<RestMapping> {
    const asked = performance.now();
    const found = await cluster.restMapping(group, kind, version || undefined);
    if (found) return found;
    const key = `${group}/${kind}`;
    if (!refreshedKinds.has(key)) {
      refreshedKinds.add(key);
      await cluster.refreshDiscovery(asked);
      const retried = await cluster.restMapping(group, kind, version || undefined);
      if (retried) return retried;
    }
    throw new ClusterError('Error', noKindMatch(group, kind, version));
  }

  function record(m: RestMapping, namespace: string, name: string, access: LookupRef['access'], object?: KubeObject): void {
    const ref = refString(namespace, groupKindString(m.Group, m.Kind), name);
    const entry: LookupRef = { ref, group: m.Group, version: m.Version, resource: m.Resource, kind: m.Kind, namespace, name, access };
    if (object) {
      entry.fingerprint = fingerprint(object);
      if (object.metadata?.resourceVersion) entry.resourceVersion = object.metadata.resourceVersion;
    }
    recorded.set(ref, entry);
  }

  // The admin ceiling narrows what matchers can open; owned objects stay readable.
  function admitted(object: KubeObject): boolean {
    if (!options.matchers.some((m) => matchesObject(m, object))) return false;
    return options.lookupCeiling === undefined || options.lookupCeiling.some((m) => matchesObject(m, object));
  }

  // An absent object is recorded (and so watched, and named in Events) only where the app could read it without an
  // ownership it cannot show yet: its destination namespace, or what its matchers open within the admin ceiling.
  function withinReach(m: RestMapping, namespace: string, name: string): boolean {
    if (m.Namespaced && namespace === options.namespace) return true;
    return admitted({ apiVersion: m.Group ? `${m.Group}/${m.Version}` : m.Version, kind: m.Kind, metadata: { namespace, name } });
  }

  async function lookup(cluster: Cluster, call: Extract<HostCall, { op: 'k8s_lookup' }>): Promise<KubeObject> {
    const { group, version } = parseGroupVersion(call.apiVersion);
    if (call.kind === '') throw new ClusterError('Error', 'resource kind may not be empty');
    const m = await mapping(cluster, group, call.kind, version);
    checkSegment('name', call.name, true);
    checkSegment('namespace', call.namespace, false);
    // jetway's one difference from yoke: an empty namespace means the release namespace, not `default`.
    const namespace = m.Namespaced ? call.namespace || options.namespace : '';
    // Outside the project, not even whether an object exists is told: a missing one is Forbidden too.
    const denial = options.project && projectDenial(options.project, { group: m.Group, kind: m.Kind, namespace, name: call.name });
    let object: KubeObject;
    try {
      object = await cluster.get(m, namespace, call.name);
    } catch (error) {
      if (error instanceof ClusterError && error.reason === 'NotFound') {
        if (denial) throw new ClusterError('Forbidden', denial);
        if (withinReach(m, namespace, call.name)) record(m, namespace, call.name, 'missing');
      }
      throw error;
    }
    if (isOwnedBy(object, options.release, options.namespace)) {
      record(m, namespace, call.name, 'owned', object);
      return object;
    }
    if (!admitted(object)) throw new ClusterError('Forbidden', outsideOwnershipMessage);
    if (denial) throw new ClusterError('Forbidden', denial);
    record(m, namespace, call.name, 'matched', object);
    return object;
  }

  async function restMapping(cluster: Cluster, call: Extract<HostCall, { op: 'k8s_rest_mapping' }>): Promise<RestMapping> {
    const slash = call.groupOrAPIVersion.indexOf('/');
    const group = slash === -1 ? call.groupOrAPIVersion : call.groupOrAPIVersion.slice(0, slash);
    const version = slash === -1 ? '' : call.groupOrAPIVersion.slice(slash + 1);
    return mapping(cluster, group, call.kind, version);
  }

  return {
    async handle(call) {
      const cluster = options.cluster;
      if (!cluster) return { state: State.FeatureNotGranted, body: featureNotGrantedMessage };
      try {
        const value = call.op === 'k8s_lookup' ? await lookup(cluster, call) : await restMapping(cluster, call);
        return { state: State.OK, body: JSON.stringify(value) };
      } catch (error) {
        if (error instanceof ClusterError) return { state: stateOf[error.reason], body: error.message };
        return { state: State.Error, body: error instanceof Error ? error.message : String(error) };
      }
    },
    refs: () => [...recorded.values()],
  };
}
