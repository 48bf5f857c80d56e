// Kubernetes Events on the Application, which the Argo CD UI shows: deduplicated the way client-go's correlator does.

import { randomBytes } from 'node:crypto';
import { failureFor, type KubeHttp } from '../cluster/http.js';
import { applicationFacts, type ApplicationRef } from './applications.js';

export type EventReason =
  | 'FlightWaiting'
  | 'FlightProgressed'
  | 'FlightFailed'
  | 'HardRefreshTriggered'
  | 'SelfHealDisabled'
  | 'WatchLimitReached'
  | 'FlightStatusCrdMissing'
  // the destination cluster of an app's lookups cannot be watched (deleted registration, unreachable, credentials refused)
  | 'ClusterUnreachable'
  // syncs jetway starts after its refreshes (sync-after-refresh.ts)
  | 'SyncStarted'
  | 'SyncWindowDenied'
  | 'SyncBackoff'
  | 'SyncOptInInvalid';

/** One thing to tell the user about an app. */
export interface AppEvent {
  type: 'Normal' | 'Warning';
  reason: EventReason;
  message: string;
}

export interface EventRecorderOptions {
  http: KubeHttp;
  /** `source.component` and `reportingComponent`. */
  component: string;
  /** `reportingInstance`, e.g. the pod name. */
  instance: string;
}

/** An Event already created, and the work on it in progress (so two identical emits do not both create). */
interface Recorded {
  namespace: string;
  name: string;
  count: number;
  chain: Promise<void>;
}

/** Events are capped like client-go's correlator cache, oldest first out. */
const maxRecorded = 4096;
/** Messages longer than this are cut (the API server's own limit for Event notes is 1 KiB). */
const maxMessage = 1024;

/** Creates an Event the first time, then bumps its count and lastTimestamp for the same app, reason and message. */
export class EventRecorder {
  private readonly recorded = new Map<string, Recorded>();
  /** Events that could not be written (for /metrics). */
  failures = 0;

  constructor(private readonly o: EventRecorderOptions) {}

  /** Records `event` on the Application `ref`; without `uid` it is read from the Application (the UI lists an app's Events by uid). */
  emit(app: string, ref: ApplicationRef, event: AppEvent, uid?: string): Promise<void> {
    const message = event.message.length > maxMessage ? `${event.message.slice(0, maxMessage - 3)}...` : event.message;
    const key = `${app}\u0000${event.type}\u0000${event.reason}\u0000${message}`;
    let entry = this.recorded.get(key);
    if (!entry) {
      entry = { namespace: ref.namespace, name: '', count: 0, chain: Promise.resolve() };
      this.recorded.set(key, entry);
      if (this.recorded.size > maxRecorded) this.recorded.delete(this.recorded.keys().next().value!);
    }
    const current = entry;
    const run = current.chain
      .then(() => this.write(current, ref, { ...event, message }, uid))
      .catch((error: unknown) => {
        this.failures++;
        throw error;
      });
    current.chain = run.catch(() => {});
    return run;
  }

  /** Forgets the Events of `app` (its record was dropped). */
  forget(app: string): void {
    for (const key of [...this.recorded.keys()]) if (key.startsWith(`${app}\u0000`)) this.recorded.delete(key);
  }

  // Why: a PATCH of the existing Event keeps one line per distinct message in the UI; if it expired (404), create anew.
  private async write(entry: Recorded, ref: ApplicationRef, event: AppEvent, uid: string | undefined): Promise<void> {
    const now = new Date().toISOString();
    if (entry.name !== '') {
      const path = `/api/v1/namespaces/${encodeURIComponent(entry.namespace)}/events/${encodeURIComponent(entry.name)}`;
      const body = JSON.stringify({ count: entry.count + 1, lastTimestamp: now });
      const res = await this.o.http.request(path, { method: 'PATCH', body, contentType: 'application/merge-patch+json' });
      if (res.status >= 200 && res.status < 300) {
        entry.count++;
        return;
      }
      if (res.status !== 404) throw failureFor('PATCH', path, res.status, res.text);
    }
    const appUid = uid ?? (await applicationFacts(this.o.http, ref))?.uid;
    if (appUid === undefined) return; // the Application is gone: nobody will see the Event
    const name = `${ref.name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
    const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/events`;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ref.namespace },
      involvedObject: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: ref.name, namespace: ref.namespace, uid: appUid },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: this.o.component },
      reportingComponent: this.o.component,
      reportingInstance: this.o.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    const res = await this.o.http.request(path, { method: 'POST', body: JSON.stringify(body), contentType: 'application/json' });
    if (res.status < 200 || res.status >= 300) throw failureFor('POST', path, res.status, res.text);
    entry.name = name;
    entry.namespace = ref.namespace;
    entry.count = 1;
  }
}
