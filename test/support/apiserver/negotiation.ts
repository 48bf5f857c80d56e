// Content negotiation: which shape (full object, PartialObjectMetadata, its list) the client's Accept asks for.

import type { KubeObject } from '../../../src/cluster/types.js';
import { type ResourceType, joinApiVersion } from './discovery.js';
import { StatusError } from './errors.js';

export type Negotiated = 'json' | 'meta' | 'metaList';

export const NOT_ACCEPTABLE = 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf';

// Content negotiation on Accept: plain JSON, or the metadata-only forms; 406 when nothing offered is served.
export function negotiate(accept: string | undefined, verb: 'get' | 'list' | 'watch'): Negotiated {
  if (!accept || !accept.trim()) return 'json';
  for (const clause of accept.split(',')) {
    const [type = '', ...paramParts] = clause.split(';').map((s) => s.trim());
    const params = Object.fromEntries(paramParts.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
    const mt = type.toLowerCase();
    if (mt !== 'application/json' && mt !== '*/*' && mt !== 'application/*') continue;
    const as = params.as;
    if (!as) return 'json';
    if (params.g !== 'meta.k8s.io' || (params.v !== 'v1' && params.v !== 'v1beta1')) continue;
    if (as === 'PartialObjectMetadata' && verb !== 'list') return 'meta';
    if (as === 'PartialObjectMetadataList' && verb !== 'get') return verb === 'list' ? 'metaList' : 'meta';
  }
  throw new StatusError(406, 'NotAcceptable', NOT_ACCEPTABLE);
}

// An object as the client asked for it: at the endpoint's apiVersion, or as PartialObjectMetadata.
export function render(t: ResourceType, o: KubeObject, mode: Negotiated): KubeObject {
  if (mode === 'meta' || mode === 'metaList') return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
  return { ...o, apiVersion: joinApiVersion(t.group, t.version), kind: t.kind };
}
