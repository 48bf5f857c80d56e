// In-memory object storage with the apiserver's write semantics: resourceVersions, an event log for watches, status and generation rules.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../../src/cluster/types.js';
import { type Registry, type ResourceType, joinApiVersion } from './discovery.js';
import { alreadyExists, badRequest, conflict, invalid, notFound } from './errors.js';
import { deepEqual } from './patch.js';
import { validateUpdate } from './validation.js';

/** One entry of the event log watches replay from. `prev` is the state before (for selector transitions). */
export interface StoreEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  group: string;
  plural: string;
  obj: KubeObject;
  prev?: KubeObject;
}

/** How a write reached the store: through the REST API (full semantics) or a test control (anything goes). */
export interface WriteOptions {
  viaApi: boolean;
  subresource?: string;
  dryRun?: boolean;
}

type Meta = Record<string, any>;

// The metadata of an object, created when missing.
function meta(obj: KubeObject): Meta {
  if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
  return obj.metadata;
}

// creationTimestamp in the apiserver's RFC 3339 seconds format.
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The store: one per fake server.
export class Store {
  /** The newest resourceVersion handed out. */
  rv = 0;
  /** resourceVersions below this can no longer be watched from (410 Expired). */
  compactedBefore = 0;
  readonly log: StoreEvent[] = [];
  readonly listeners = new Set<(ev: StoreEvent) => void>();
  private readonly objects = new Map<string, KubeObject>();

  constructor(private readonly registry: Registry) {}

  // Storage key; all versions of a resource share it, as in etcd.
  private key(group: string, plural: string, ns: string, name: string): string {
    return `${group}/${plural}/${ns}/${name}`;
  }

  // A copy of one stored object, or undefined.
  read(t: ResourceType, ns: string, name: string): KubeObject | undefined {
    const o = this.objects.get(this.key(t.group, t.plural, t.namespaced ? ns : '', name));
    return o && structuredClone(o);
  }

  // Copies of a resource's objects in etcd key order (namespace, then name); ns '' = all namespaces.
  items(t: ResourceType, ns: string): KubeObject[] {
    const prefix = `${t.group}/${t.plural}/${t.namespaced && ns ? `${ns}/` : ''}`;
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o));
  }

  // Drops the event log so older resourceVersions expire.
  compact(): void {
    this.compactedBefore = this.rv;
    this.log.length = 0;
  }

  // Persists one change: next resourceVersion, log entry, listeners notified.
  private commit(t: ResourceType, type: StoreEvent['type'], obj: KubeObject, prev?: KubeObject): KubeObject {
    this.rv += 1;
    const m = meta(obj);
    m.resourceVersion = String(this.rv);
    const k = this.key(t.group, t.plural, m.namespace ?? '', m.name);
    if (type === 'DELETED') this.objects.delete(k);
    else this.objects.set(k, structuredClone(obj));
    const ev: StoreEvent = { rv: this.rv, type, group: t.group, plural: t.plural, obj: structuredClone(obj), ...(prev ? { prev } : {}) };
    this.log.push(ev);
    for (const l of [...this.listeners]) l(ev);
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io') this.crdChanged(type, obj);
    if (t.kind === 'Namespace' && t.group === '' && type === 'DELETED') this.namespaceGone(m.name);
    return structuredClone(obj);
  }

  // CRD writes register their kinds; a deleted CRD takes its kinds and every instance with it.
  private crdChanged(type: StoreEvent['type'], crd: KubeObject): void {
    const name = crd.metadata?.name ?? '';
    if (type !== 'DELETED') {
      this.registry.registerCrd(crd);
      return;
    }
    const gone = this.registry.unregisterCrd(name);
    const first = gone[0];
    if (first) for (const o of this.items(first, '')) this.commit(first, 'DELETED', o, o);
  }

  // Deleting a namespace deletes everything in it (the namespace controller, done at once).
  private namespaceGone(ns: string): void {
    for (const [k, o] of [...this.objects.entries()]) {
      const [group, plural, objNs] = k.split('/');
      if (objNs !== ns || !ns) continue;
      const t = this.registry.versionsOf(group ?? '', plural ?? '')[0];
      if (t) this.commit(t, 'DELETED', structuredClone(o), structuredClone(o));
    }
  }

  // Server-side defaults a real server applies when an object is created.
  private defaults(t: ResourceType, obj: KubeObject): void {
    const m = meta(obj);
    if (t.group === '' && t.kind === 'Secret') {
      obj.type ??= 'Opaque';
      foldStringData(obj);
    }
    if (t.group === '' && t.kind === 'Namespace') {
      m.labels = { ...(m.labels ?? {}), 'kubernetes.io/metadata.name': m.name };
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      obj.status = { phase: 'Active', ...(obj.status ?? {}) };
    }
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io') establishCrd(obj);
  }

  // POST: create, with the real checks (409 AlreadyExists, namespace must exist, status dropped for status-subresource kinds).
  create(t: ResourceType, input: KubeObject, ns: string, o: WriteOptions): KubeObject {
    const obj = structuredClone(input);
    const m = meta(obj);
    this.checkTypeMeta(t, obj);
    if (t.namespaced) {
      if (m.namespace && ns && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = m.namespace || ns || 'default';
    } else delete m.namespace;
    if (!m.name && m.generateName) m.name = `${m.generateName}${Math.random().toString(36).slice(2, 7)}`;
    if (!m.name) throw invalid(t.kind, t.group, '', 'metadata.name', 'Required value: name or generateName is required');
    if (o.viaApi && t.namespaced && !this.objects.has(this.key('', 'namespaces', '', m.namespace))) {
      throw notFound({ group: '', resource: 'namespaces' }, m.namespace);
    }
    if (this.objects.has(this.key(t.group, t.plural, m.namespace ?? '', m.name))) throw alreadyExists(gr(t), m.name);
    if (o.viaApi && t.hasStatus) delete obj.status;
    for (const f of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields']) delete m[f];
    m.uid = randomUUID();
    m.creationTimestamp = now();
    if (t.generation) m.generation = 1;
    else delete m.generation;
    this.defaults(t, obj);
    if (o.dryRun) return { ...obj, metadata: { ...m } };
    return this.commit(t, 'ADDED', obj);
  }

  // PUT (and the end of PATCH): update with optimistic concurrency, status/spec separation, no-op detection.
  update(t: ResourceType, ns: string, name: string, input: KubeObject, o: WriteOptions): KubeObject {
    const old = this.read(t, ns, name);
    if (!old) throw notFound(gr(t), name);
    const obj = structuredClone(input);
    const m = meta(obj);
    this.checkTypeMeta(t, obj);
    if (m.name !== undefined && m.name !== name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
    if (t.namespaced && m.namespace && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const om = meta(old);
    if (m.resourceVersion !== undefined && m.resourceVersion !== '' && m.resourceVersion !== om.resourceVersion) throw conflict(gr(t), name);
    if (o.viaApi && t.custom && !m.resourceVersion) {
      throw invalid(t.kind, t.group, name, 'metadata.resourceVersion', 'Invalid value: 0x0: must be specified for an update');
    }
    let next: KubeObject;
    if (o.viaApi && o.subresource === 'status') {
      // Status strategy: everything from the old object except .status.
      next = structuredClone(old);
      if ('status' in obj) next.status = obj.status;
      else delete next.status;
    } else {
      next = obj;
      if (o.viaApi && t.hasStatus) {
        if ('status' in old) next.status = old.status;
        else delete next.status;
      }
    }
    const nm = meta(next);
    nm.name = name;
    if (t.namespaced) nm.namespace = om.namespace;
    else delete nm.namespace;
    nm.uid = om.uid;
    nm.creationTimestamp = om.creationTimestamp;
    if (om.deletionTimestamp) {
      nm.deletionTimestamp = om.deletionTimestamp;
      nm.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    } else {
      delete nm.deletionTimestamp;
      delete nm.deletionGracePeriodSeconds;
    }
    nm.resourceVersion = om.resourceVersion;
    delete nm.managedFields;
    if (t.generation) nm.generation = (om.generation ?? 1) + (specChanged(t, old, next) ? 1 : 0);
    else delete nm.generation;
    if (t.group === '' && t.kind === 'Secret') foldStringData(next);
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io') establishCrd(next);
    if (deepEqual(next, old)) return old;
    if (o.viaApi && o.subresource !== 'status') validateUpdate(t, old, next);
    if (o.dryRun) return next;
    if (nm.deletionTimestamp && !nm.finalizers?.length) return this.commit(t, 'DELETED', next, old);
    return this.commit(t, 'MODIFIED', next, old);
  }

  // DELETE: immediate, or (with finalizers) marks deletionTimestamp and waits for them to be removed.
  delete(t: ResourceType, ns: string, name: string, o: WriteOptions & { preconditionRv?: string; propagationPolicy?: string }): KubeObject {
    const old = this.read(t, ns, name);
    if (!old) throw notFound(gr(t), name);
    const om = meta(old);
    if (o.preconditionRv && o.preconditionRv !== om.resourceVersion) throw conflict(gr(t), name);
    if (o.dryRun) return old;
    // Foreground propagation: the object stays, marked, with the foregroundDeletion finalizer, until the garbage
    // collector has deleted its dependents and removed that finalizer (a test's GC controller does this)
    if (o.viaApi && o.propagationPolicy === 'Foreground' && !om.deletionTimestamp && !(om.finalizers ?? []).includes('foregroundDeletion')) {
      om.finalizers = [...(om.finalizers ?? []), 'foregroundDeletion'];
    }
    if (o.viaApi && om.finalizers?.length) {
      if (om.deletionTimestamp) return old;
      const next = structuredClone(old);
      meta(next).deletionTimestamp = now();
      meta(next).deletionGracePeriodSeconds = 0;
      if (t.generation) meta(next).generation = (om.generation ?? 1) + 1;
      return this.commit(t, 'MODIFIED', next, old);
    }
    return this.commit(t, 'DELETED', old, old);
  }

  // Test control: create or replace exactly as given (status included); no-op replacements change nothing.
  put(t: ResourceType, input: KubeObject): KubeObject {
    const obj = structuredClone(input);
    const m = meta(obj);
    if (!m.name) throw new Error('put: metadata.name is required');
    if (t.namespaced) m.namespace = m.namespace || 'default';
    else delete m.namespace;
    const old = this.read(t, m.namespace ?? '', m.name);
    if (!old) {
      m.uid ??= randomUUID();
      m.creationTimestamp ??= now();
      if (t.generation) m.generation ??= 1;
      delete m.resourceVersion;
      this.defaults(t, obj);
      return this.commit(t, 'ADDED', obj);
    }
    const om = meta(old);
    m.uid = om.uid;
    m.creationTimestamp = om.creationTimestamp;
    m.resourceVersion = om.resourceVersion;
    if (t.generation && m.generation === undefined) m.generation = (om.generation ?? 1) + (specChanged(t, old, obj) ? 1 : 0);
    if (t.group === '' && t.kind === 'Secret') foldStringData(obj);
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io') establishCrd(obj);
    if (deepEqual(obj, old)) return old;
    return this.commit(t, 'MODIFIED', obj, old);
  }

  // Test control: delete now, finalizers ignored.
  remove(t: ResourceType, ns: string, name: string): boolean {
    const old = this.read(t, ns, name);
    if (!old) return false;
    this.commit(t, 'DELETED', old, old);
    return true;
  }

  // Body apiVersion/kind must name the endpoint's type, as the decoder insists.
  private checkTypeMeta(t: ResourceType, obj: KubeObject): void {
    const want = joinApiVersion(t.group, t.version);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
      // Any served version of the same group/resource is accepted and stored under the endpoint's version.
      if (!this.registry.versionsOf(t.group, t.plural).some((v) => joinApiVersion(v.group, v.version) === obj.apiVersion)) {
        throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
      }
    }
    if (obj.kind !== undefined && obj.kind !== t.kind) throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${t.kind})`);
    obj.apiVersion = want;
    obj.kind = t.kind;
  }
}

// The GroupResource errors name.
export function gr(t: ResourceType): { group: string; resource: string } {
  return { group: t.group, resource: t.plural };
}

// Whether anything outside metadata (and outside status, for kinds with a status subresource) changed: generation++.
function specChanged(t: ResourceType, a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const c: Record<string, unknown> = { ...o };
    delete c.metadata;
    if (t.hasStatus || !t.custom) delete c.status;
    return c;
  };
  return !deepEqual(strip(a), strip(b));
}

// Secrets: stringData is write-only and folded into base64 data, as the real server does.
function foldStringData(obj: KubeObject): void {
  const sd = obj.stringData as Record<string, string> | undefined;
  if (!sd) return;
  const data = { ...((obj.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(v).toString('base64');
  obj.data = data;
  delete obj.stringData;
}

// The apiextensions controller's verdict, applied at once: names accepted, Established.
function establishCrd(crd: KubeObject): void {
  const spec = (crd.spec ?? {}) as Record<string, any>;
  const status = (crd.status ?? {}) as Record<string, any>;
  const t = '1970-01-01T00:00:00Z';
  crd.status = {
    ...status,
    acceptedNames: spec.names ?? {},
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: t },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: t },
    ],
    storedVersions: ((spec.versions ?? []) as Record<string, any>[]).filter((v) => v.storage).map((v) => v.name),
  };
}

/** A parsed selector: a predicate over objects. */
export type Selector = (obj: KubeObject) => boolean;

// Label selector syntax (=, ==, !=, in, notin, exists, !exists), as labels.Parse accepts it.
export function parseLabelSelector(s: string | null): Selector {
  if (!s || !s.trim()) return () => true;
  const reqs: Selector[] = [];
  for (const raw of splitTop(s)) {
    const r = raw.trim();
    let m: RegExpExecArray | null;
    const labels = (o: KubeObject) => o.metadata?.labels ?? {};
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(r))) {
      const [, k, op, vs] = m as unknown as [string, string, string, string];
      const set = vs.split(',').map((v) => v.trim());
      reqs.push(op === 'in' ? (o) => set.includes(labels(o)[k] as string) : (o) => !set.includes(labels(o)[k] as string));
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(r))) {
      const [, k, op, v] = m as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (o) => labels(o)[k] !== v : (o) => labels(o)[k] === v);
    } else if ((m = /^!([\w./-]+)$/.exec(r))) {
      const k = m[1]!;
      reqs.push((o) => !(k in labels(o)));
    } else if ((m = /^([\w./-]+)$/.exec(r))) {
      const k = m[1]!;
      reqs.push((o) => k in labels(o));
    } else throw badRequest(`unable to parse requirement: found '${r}', expected: in, notin, =, ==, !=, gt, lt`);
  }
  return (o) => reqs.every((q) => q(o));
}

// Splits on commas outside parentheses.
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

// Field selectors each kind supports beyond metadata.name and metadata.namespace.
const EXTRA_FIELDS: Record<string, string[]> = {
  Secret: ['type'],
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Job: ['status.successful'],
  Namespace: ['status.phase'],
};

// Field selector (=, ==, !=) on the fields the kind supports; others are a 400 as on a real server.
export function parseFieldSelector(t: ResourceType, s: string | null): Selector {
  if (!s || !s.trim()) return () => true;
  const allowed = ['metadata.name', 'metadata.namespace', ...(t.custom ? [] : (EXTRA_FIELDS[t.kind] ?? []))];
  const reqs: Selector[] = [];
  for (const raw of s.split(',')) {
    const m = /^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${raw}'`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    if (!allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    const get = (o: KubeObject) => {
      if (field === 'metadata.namespace' && !t.namespaced) return '';
      let cur: unknown = o;
      for (const p of field.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
      return cur === undefined || cur === null ? '' : String(cur);
    };
    reqs.push(op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value);
  }
  return (o) => reqs.every((q) => q(o));
}
