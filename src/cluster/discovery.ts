// Kind -> resource resolution the way a RESTMapper does it, over any source of discovery documents.

import type { RestMapping } from './types.js';

/** A group's served versions, preferred first. */
export interface GroupVersions {
  preferred: string;
  versions: string[];
}

/** Where discovery documents come from: the live API server, or an offline file. */
export interface DiscoverySource {
  group(group: string): Promise<GroupVersions | undefined>;
  resources(group: string, version: string): Promise<RestMapping[]>;
}

/** The mapping for group+kind: at `version` when given, else the preferred version, then the others in order. */
export async function resolveMapping(source: DiscoverySource, group: string, kind: string, version?: string): Promise<RestMapping | undefined> {
  const served = await source.group(group);
  if (!served) return undefined;
  const order = version ? [version] : [served.preferred, ...served.versions.filter((v) => v !== served.preferred)];
  for (const v of order) {
    if (!served.versions.includes(v)) continue;
    const found = (await source.resources(group, v)).find((m) => m.Kind === kind);
    if (found) return found;
  }
  return undefined;
}

interface APIResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

interface APIGroup {
  name: string;
  versions: Array<{ version: string }>;
  preferredVersion?: { version: string };
}

/** Turns an APIResourceList into mappings, skipping subresources (`jobs/status`). */
function mappingsOf(group: string, version: string, resources: APIResource[]): RestMapping[] {
  return resources.filter((r) => !r.name.includes('/')).map((r) => ({ Group: group, Version: version, Kind: r.kind, Resource: r.name, Namespaced: r.namespaced }));
}

/** Caches discovery documents fetched through `get` until `forget` (the refresh on a miss). */
export class CachedDiscovery implements DiscoverySource {
  private groups: Promise<Map<string, GroupVersions>> | undefined;
  /** performance.now() when `groups` was requested. */
  private groupsRequestedAt = -Infinity;
  private lists = new Map<string, Promise<RestMapping[]>>();

  constructor(private readonly get: <T>(path: string) => Promise<T>) {}

  // Why: one /api + /apis pair tells every group's versions; per-version lists are fetched only when a kind needs them.
  private loadGroups(): Promise<Map<string, GroupVersions>> {
    if (!this.groups) this.groupsRequestedAt = performance.now();
    this.groups ??= (async () => {
      const [core, apis] = await Promise.all([this.get<{ versions: string[] }>('/api'), this.get<{ groups: APIGroup[] }>('/apis')]);
      const map = new Map<string, GroupVersions>();
      map.set('', { preferred: core.versions[0] ?? 'v1', versions: core.versions });
      for (const g of apis.groups) {
        const versions = g.versions.map((v) => v.version);
        map.set(g.name, { preferred: g.preferredVersion?.version ?? versions[0] ?? '', versions });
      }
      return map;
    })();
    this.groups.catch(() => (this.groups = undefined));
    return this.groups;
  }

  async group(group: string): Promise<GroupVersions | undefined> {
    return (await this.loadGroups()).get(group);
  }

  resources(group: string, version: string): Promise<RestMapping[]> {
    const key = `${group}/${version}`;
    let list = this.lists.get(key);
    if (!list) {
      const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      list = this.get<{ resources: APIResource[] }>(path).then((doc) => mappingsOf(group, version, doc.resources));
      list.catch(() => this.lists.delete(key));
      this.lists.set(key, list);
    }
    return list;
  }

  // Why: runs that miss the same new kind at once (many apps waiting on one CRD) share one refresh instead of each
  // dropping the documents another has just asked for; per-version lists are always newer than the groups they follow.
  forget(missedAt: number): void {
    if (this.groups && this.groupsRequestedAt >= missedAt) return;
    this.groups = undefined;
    this.lists.clear();
  }
}
