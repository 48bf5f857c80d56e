// The plain data types every cluster backend (live API server, offline file) shares.

/** A Kubernetes object as JSON. */
export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
};

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  [key: string]: unknown;
}

/** yoke's RestMapping, with Go field names: flights unmarshal it as is. */
export interface RestMapping {
  Group: string;
  Version: string;
  Kind: string;
  Resource: string;
  Namespaced: boolean;
}

/** What the API server said when a call did not return an object. */
export type ClusterFailure = 'NotFound' | 'Unauthenticated' | 'Forbidden' | 'Error';

/** A failed cluster call: `reason` decides the host state, `message` is what the flight reads. */
export class ClusterError extends Error {
  constructor(
    readonly reason: ClusterFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

/** The two questions a flight may ask of a cluster. Both throw ClusterError. */
export interface Cluster {
  /** The mapping for group+kind, at `version` when given, else the preferred one; undefined when the kind is unknown. */
  restMapping(group: string, kind: string, version?: string): Promise<RestMapping | undefined>;
  /**
   * Forget discovery fetched before `missedAt` (a `performance.now()` taken before the lookup that missed), so kinds
   * created since (CRDs) resolve; documents fetched after it already show them and are kept.
   */
  refreshDiscovery(missedAt: number): Promise<void>;
  /** GET one object at the path the mapping gives. */
  get(mapping: RestMapping, namespace: string, name: string): Promise<KubeObject>;
}
