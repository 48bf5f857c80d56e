// Run records in the cluster: one jetway.dev/v1alpha1 RunRecord per Application, in the Application's namespace and
// named after it, owned by it (deleted with it). Any replica writes; the leader loads and follows them; `jetway status`
// reads them. A RunRecord holds refs, fingerprints, outcome and status, never object contents or Secret data.

import { failureFor, type KubeHttp, type Response } from '../cluster/http.js';
import type { KubeObject } from '../cluster/types.js';
import { applicationPath, applicationRef } from './applications.js';
import { recordProblem, type RunRecord } from './records.js';

const runRecordApiVersion = 'jetway.dev/v1alpha1';
/** The cluster-wide collection of RunRecords. */
export const runRecordsPath = '/apis/jetway.dev/v1alpha1/runrecords';

interface RunRecordObject extends KubeObject {
  spec?: unknown;
}

/** The REST path of one RunRecord, or of a namespace's RunRecords. */
function recordPath(namespace: string, name?: string): string {
  const base = `/apis/jetway.dev/v1alpha1/namespaces/${encodeURIComponent(namespace)}/runrecords`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** The run record a RunRecord object carries, or why it is unusable. */
export function recordOf(object: RunRecordObject): RunRecord | string {
  const problem = recordProblem(object.spec);
  return problem ?? (object.spec as RunRecord);
}

/** How many apps' last-written RunRecords a replica keeps, to write the next one without reading it first. */
const maxWrittenRecords = 4096;

/** Whether `stored` holds a run that ended after `run`: writing `run` over it would lose the newer one. */
function endedAfter(stored: RunRecordObject, run: RunRecord): boolean {
  const previous = recordOf(stored);
  return typeof previous !== 'string' && Date.parse(previous.ranAt) > Date.parse(run.ranAt);
}

/** Writes RunRecords for the generate path of one replica; caches Application uids for owner references. */
export class RecordStore {
  private readonly uids = new Map<string, string>();
  /** The RunRecord this replica last wrote per app, as the API server answered it (with its resourceVersion). */
  private readonly written = new Map<string, RunRecordObject>();

  constructor(
    private readonly http: KubeHttp,
    private readonly argocdNamespace: string,
  ) {}

  /** Saves `run` unless a newer run of the app is stored; 'gone' when the Application does not exist (nothing is written). */
  async save(run: RunRecord): Promise<'saved' | 'older' | 'gone'> {
    const ref = applicationRef(run.app, this.argocdNamespace);
    const path = recordPath(ref.namespace, ref.name);
    return (await this.overwrite(run, path)) ?? this.readAndSave(run, ref, path);
  }

  // Why: one request instead of two on every generate after an app's first: the PUT carries the resourceVersion this
  // replica last wrote, so the API server refuses it (409) when anyone wrote since, or 404 when the record is gone, and
  // only then is the record read first. undefined: the write was refused that way.
  private async overwrite(run: RunRecord, path: string): Promise<'saved' | 'older' | undefined> {
    const known = this.written.get(run.app);
    if (!known) return undefined;
    if (endedAfter(known, run)) return 'older'; // this replica already stored a run that ended later (two generates of one app at once)
    const answer = await this.update(path, known, run);
    if (answer === 'saved') return 'saved';
    if (answer.status !== 409 && answer.status !== 404) throw failureFor('PUT', path, answer.status, answer.text);
    this.written.delete(run.app); // what this replica wrote is no longer what is stored
    return undefined;
  }

  // Why: the first write of an app from this replica, or one that met another replica's write: read, then create or update.
  private async readAndSave(run: RunRecord, ref: { namespace: string; name: string }, path: string): Promise<'saved' | 'older' | 'gone'> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.http.request(path);
      if (current.status === 404) {
        const uid = await this.uid(run.app);
        if (uid === undefined) return 'gone';
        const body: RunRecordObject = {
          apiVersion: runRecordApiVersion,
          kind: 'RunRecord',
          metadata: {
            name: ref.name,
            namespace: ref.namespace,
            labels: { 'app.kubernetes.io/managed-by': 'jetway' },
            ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: ref.name, uid }],
          },
          spec: run,
        };
        const created = await this.http.request(recordPath(ref.namespace), { method: 'POST', body: JSON.stringify(body), contentType: 'application/json' });
        if (created.status === 409 && attempt < 3) continue; // another replica created it meanwhile
        if (created.status < 200 || created.status >= 300) throw failureFor('POST', recordPath(ref.namespace), created.status, created.text);
        this.remember(run.app, created.text);
        return 'saved';
      }
      if (current.status < 200 || current.status >= 300) throw failureFor('GET', path, current.status, current.text);
      const stored = JSON.parse(current.text) as RunRecordObject;
      if (endedAfter(stored, run)) return 'older';
      const answer = await this.update(path, stored, run);
      if (answer === 'saved') return 'saved';
      if (answer.status === 409 && attempt < 3) continue; // another replica wrote it since our read
      throw failureFor('PUT', path, answer.status, answer.text);
    }
  }

  /** PUTs `run` over `stored`, guarded by its resourceVersion, and remembers what was stored; any other answer is the caller's to judge. */
  private async update(path: string, stored: RunRecordObject, run: RunRecord): Promise<'saved' | Response> {
    const updated = await this.http.request(path, { method: 'PUT', body: JSON.stringify({ ...stored, spec: run }), contentType: 'application/json' });
    if (updated.status < 200 || updated.status >= 300) return updated;
    this.remember(run.app, updated.text);
    return 'saved';
  }

  /** Keeps the record as the API server answered a write of it, the most recently written last; the oldest is forgotten past the bound. */
  private remember(app: string, answer: string): void {
    this.written.delete(app);
    this.written.set(app, JSON.parse(answer) as RunRecordObject);
    if (this.written.size > maxWrittenRecords) this.written.delete(this.written.keys().next().value!);
  }

  // Why: the owner reference needs the Application's uid; one GET per app, not one per run.
  private async uid(app: string): Promise<string | undefined> {
    const cached = this.uids.get(app);
    if (cached) return cached;
    const path = applicationPath(applicationRef(app, this.argocdNamespace));
    const res = await this.http.request(path);
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw failureFor('GET', path, res.status, res.text);
    const uid = (JSON.parse(res.text) as KubeObject).metadata?.['uid'] as string | undefined;
    if (uid) this.uids.set(app, uid);
    return uid;
  }
}

/** Every stored run record (all namespaces), for `jetway status`; unusable ones are reported by name. */
export async function loadRecords(http: KubeHttp): Promise<{ records: RunRecord[]; problems: string[] }> {
  const records: RunRecord[] = [];
  const problems: string[] = [];
  let next: string | undefined;
  do {
    const page = await http.getJson<{ metadata?: { continue?: string }; items?: RunRecordObject[] }>(`${runRecordsPath}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`);
    for (const item of page.items ?? []) {
      const record = recordOf(item);
      if (typeof record === 'string') problems.push(`RunRecord ${item.metadata?.namespace}/${item.metadata?.name}: ${record}`);
      else records.push(record);
    }
    next = page.metadata?.continue || undefined;
  } while (next);
  return { records, problems };
}
