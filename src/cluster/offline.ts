// A cluster read from a file: a YAML stream of objects (CRDs included) answers lookups and REST mappings without an API server.

import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { builtinKinds } from './builtin-kinds.js';
import { resolveMapping, type DiscoverySource, type GroupVersions } from './discovery.js';
import { groupOf } from './names.js';
import { ClusterError, type Cluster, type KubeObject, type RestMapping } from './types.js';

interface CrdVersion {
  name?: string;
  served?: boolean;
  storage?: boolean;
}

/** The kinds a CustomResourceDefinition adds, one mapping per served version (storage version first). */
function crdKinds(crd: KubeObject): RestMapping[] {
  const spec = (crd['spec'] ?? {}) as { group?: string; names?: { kind?: string; plural?: string }; scope?: string; versions?: CrdVersion[] };
  if (!spec.group || !spec.names?.kind || !spec.names.plural) {
    throw new Error(`CustomResourceDefinition ${crd.metadata?.name ?? '(unnamed)'} needs spec.group, spec.names.kind and spec.names.plural`);
  }
  const versions = [...(spec.versions ?? [])].filter((v) => v.served !== false && v.name).sort((a, b) => Number(b.storage ?? false) - Number(a.storage ?? false));
  return versions.map((v) => ({ Group: spec.group!, Version: v.name!, Kind: spec.names!.kind!, Resource: spec.names!.plural!, Namespaced: spec.scope !== 'Cluster' }));
}

/** The API server's NotFound wording: `jobs.batch "x" not found`. */
function notFoundMessage(m: Pick<RestMapping, 'Group' | 'Resource'>, name: string): string {
  return `${m.Group === '' ? m.Resource : `${m.Resource}.${m.Group}`} ${JSON.stringify(name)} not found`;
}

/** A Cluster over a fixed set of objects. */
export class OfflineCluster implements Cluster, DiscoverySource {
  private readonly kinds: RestMapping[];
  private readonly objects = new Map<string, KubeObject>();

  constructor(
    objects: KubeObject[],
    private readonly defaultNamespace: string,
  ) {
    this.kinds = [...builtinKinds];
    for (const o of objects) {
      if (o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion ?? '') === 'apiextensions.k8s.io') this.kinds.push(...crdKinds(o));
    }
    for (const o of objects) this.put(o);
  }

  /** Reads a cluster-state file; every document must be an object with apiVersion, kind and metadata.name. */
  static async fromFile(path: string, defaultNamespace: string): Promise<OfflineCluster> {
    let docs: unknown[];
    try {
      docs = yaml.loadAll(await readFile(path, 'utf8')).filter((d) => d !== null && d !== undefined);
    } catch (error) {
      throw new Error(`cannot read cluster state ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const objects = docs.flatMap((d, i) => {
      const o = d as KubeObject;
      if (typeof o !== 'object' || Array.isArray(o)) throw new Error(`cluster state ${path}: document ${i + 1} is not an object`);
      if (o.kind?.endsWith('List') && Array.isArray(o['items'])) return o['items'] as KubeObject[];
      return [o];
    });
    for (const [i, o] of objects.entries()) {
      if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error(`cluster state ${path}: object ${i + 1} needs apiVersion, kind and metadata.name`);
    }
    return new OfflineCluster(objects, defaultNamespace);
  }

  private key(group: string, kind: string, namespace: string, name: string): string {
    return `${group}|${kind}|${namespace}|${name}`;
  }

  /** Adds or replaces an object (simulate applies each result this way). */
  put(object: KubeObject): void {
    const group = groupOf(object.apiVersion ?? '');
    const mapping = this.kinds.find((k) => k.Group === group && k.Kind === object.kind);
    const namespace = mapping?.Namespaced === false ? '' : object.metadata?.namespace || this.defaultNamespace;
    const stored = mapping?.Namespaced === false ? object : { ...object, metadata: { ...object.metadata, namespace } };
    this.objects.set(this.key(group, object.kind ?? '', namespace, object.metadata?.name ?? ''), stored);
  }

  /** Every object, for simulate's view of the cluster. */
  all(): KubeObject[] {
    return [...this.objects.values()];
  }

  async group(group: string): Promise<GroupVersions | undefined> {
    const versions = [...new Set(this.kinds.filter((k) => k.Group === group).map((k) => k.Version))];
    return versions.length === 0 ? undefined : { preferred: versions[0]!, versions };
  }

  async resources(group: string, version: string): Promise<RestMapping[]> {
    return this.kinds.filter((k) => k.Group === group && k.Version === version);
  }

  restMapping(group: string, kind: string, version?: string): Promise<RestMapping | undefined> {
    return resolveMapping(this, group, kind, version);
  }

  async refreshDiscovery(): Promise<void> {
    // the file is the whole cluster: nothing to refresh
  }

  async get(mapping: RestMapping, namespace: string, name: string): Promise<KubeObject> {
    const found = this.objects.get(this.key(mapping.Group, mapping.Kind, mapping.Namespaced ? namespace : '', name));
    if (!found) throw new ClusterError('NotFound', notFoundMessage(mapping, name));
    return structuredClone(found);
  }
}
