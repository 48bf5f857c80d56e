// Decides whether a watched object really changed against what each app's flight saw: by fingerprint, never by content.

import { Backoff } from '../cluster/backoff.js';
import { fingerprint } from '../cluster/fingerprint.js';
import { failureFor } from '../cluster/http.js';
import { objectPath } from '../cluster/paths.js';
import type { KubeObject } from '../cluster/types.js';
import type { LookupRef } from '../host/refs.js';
import type { Clock, Timer } from './clock.js';
import type { ClusterClients, ClusterId } from './clusters.js';
import type { Log } from './log.js';
import { watchKeyOf, type ObjectEvent, type WatchTarget } from './watches.js';

/** An object an app looked up that is no longer as the flight saw it. */
export interface Change {
  app: string;
  ref: LookupRef;
  what: 'created' | 'deleted' | 'changed';
}

export interface ChangeOptions {
  clients: ClusterClients;
  log: Log;
  clock: Clock;
  onChange(change: Change): void;
}

/** A read that fails (the API server answering 500, a timeout) is tried again this often, backed off, before the periodic re-check is all that is left. */
const rereadAttempts = 6;
const rereadBackoff = { baseMs: 1_000, capMs: 30_000 };

/** What an app last knew of one object: the fingerprint its flight saw, moved on once a change was reported. */
interface Baseline {
  ref: LookupRef;
  fingerprint: string | undefined;
}

interface Waiter {
  resolve(fingerprint: string | undefined): void;
  reject(error: unknown): void;
}

/** The refs of every app, indexed by watch and object name, compared with the live objects as events arrive. */
export class ChangeDetector {
  /** watch key => object name => app => baseline. */
  private readonly byWatch = new Map<string, Map<string, Map<string, Baseline>>>();
  private readonly targets = new Map<string, WatchTarget>();
  /** app => the (watch key, name) pairs it references. */
  private readonly byApp = new Map<string, Array<[string, string]>>();
  /** watch key => the apps referencing something in it. */
  private readonly appsByKey = new Map<string, Set<string>>();
  /** object key => the last fingerprint computed, with the resourceVersion it belongs to. */
  private readonly seen = new Map<string, { resourceVersion: string; fingerprint: string }>();
  /** object key => callers waiting for the next GET; a key in `fetching` has a GET running. */
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly fetching = new Set<string>();
  /** Comparisons under way (a GET each), for settled(). */
  private readonly inflight = new Set<Promise<void>>();
  /** object key => the re-read planned after a failed one, with its backoff. */
  private readonly rereads = new Map<string, { timer: Timer; backoff: Backoff; attempts: number }>();

  constructor(private readonly o: ChangeOptions) {}

  /** Makes `refs` what `app`'s flight saw on `cluster`, replacing its previous refs. */
  track(app: string, refs: LookupRef[], cluster: ClusterId): void {
    this.untrack(app);
    const pairs: Array<[string, string]> = [];
    for (const ref of refs) {
      const key = watchKeyOf(ref, cluster);
      if (!this.targets.has(key)) this.targets.set(key, { cluster, group: ref.group, version: ref.version, resource: ref.resource, namespace: ref.namespace });
      const names = this.byWatch.get(key) ?? new Map<string, Map<string, Baseline>>();
      this.byWatch.set(key, names);
      const apps = names.get(ref.name) ?? new Map<string, Baseline>();
      names.set(ref.name, apps);
      apps.set(app, { ref, fingerprint: ref.fingerprint });
      // what the run read seeds the cache: a list showing the same resourceVersion then needs no GET to compare
      const objectKey = `${key}/${ref.name}`;
      if (ref.resourceVersion && ref.fingerprint && !this.seen.has(objectKey)) this.seen.set(objectKey, { resourceVersion: ref.resourceVersion, fingerprint: ref.fingerprint });
      pairs.push([key, ref.name]);
      const users = this.appsByKey.get(key) ?? new Set<string>();
      this.appsByKey.set(key, users.add(app));
    }
    this.byApp.set(app, pairs);
  }

  /** Forgets `app`'s refs. */
  untrack(app: string): void {
    for (const [key, name] of this.byApp.get(app) ?? []) {
      const names = this.byWatch.get(key);
      const apps = names?.get(name);
      apps?.delete(app);
      if (apps?.size === 0) {
        names!.delete(name);
        this.seen.delete(`${key}/${name}`);
        this.cancelReread(`${key}/${name}`);
      }
      if (names?.size === 0) {
        this.byWatch.delete(key);
        this.targets.delete(key);
      }
      const users = this.appsByKey.get(key);
      users?.delete(app);
      if (users?.size === 0) this.appsByKey.delete(key);
    }
    this.byApp.delete(app);
  }

  /** How many (cluster, resource, namespace) collections would be watched if `app`'s refs were `refs` on `cluster`. */
  watchesWith(app: string, refs: readonly LookupRef[], cluster: ClusterId): number {
    const keys = new Set(refs.map((ref) => watchKeyOf(ref, cluster)));
    let count = keys.size;
    for (const [key, users] of this.appsByKey) if (!keys.has(key) && (users.size > 1 || !users.has(app))) count++;
    return count;
  }

  /** The collections some app references: what must be watched. */
  watchTargets(): ReadonlyMap<string, WatchTarget> {
    return this.targets;
  }

  /** A watch event: referenced objects are fetched (once for all apps) and compared. */
  event(key: string, event: ObjectEvent): void {
    if (!this.byWatch.get(key)?.has(event.name)) return;
    void this.check(key, event.name, event.type === 'DELETED' ? undefined : event.resourceVersion);
  }

  /** A (re-)list: events may have been missed, so every referenced object of the collection is compared. */
  listed(key: string, objects: ReadonlyMap<string, string>): void {
    for (const name of this.byWatch.get(key)?.keys() ?? []) {
      const resourceVersion = objects.get(name);
      if (resourceVersion === undefined) this.compare(key, name, undefined);
      else void this.check(key, name, resourceVersion);
    }
  }

  /** Compares a new record's refs with the live objects now, in collections already listed (the run may predate an event). */
  verify(app: string, listed: (key: string) => boolean): void {
    for (const [key, name] of this.byApp.get(app) ?? []) if (listed(key)) void this.check(key, name, undefined);
  }

  /** Whether any tracked work is under way. */
  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /** Resolves once every comparison started so far (and any they started) has ended. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // Why: every comparison is tracked, so settled() can tell "nothing changed" from "not compared yet".
  private check(key: string, name: string, resourceVersion: string | undefined): Promise<void> {
    const running = this.compareLive(key, name, resourceVersion).finally(() => this.inflight.delete(running));
    this.inflight.add(running);
    return running;
  }

  // Why: one place turns "something happened to this object" into compare(); failures to read are logged, not guessed at.
  private async compareLive(key: string, name: string, resourceVersion: string | undefined): Promise<void> {
    const objectKey = `${key}/${name}`;
    const cached = this.seen.get(objectKey);
    if (resourceVersion !== undefined && cached?.resourceVersion === resourceVersion) return this.compare(key, name, cached.fingerprint);
    const target = this.targets.get(key);
    if (!target) return;
    const mapping = { Group: target.group, Version: target.version, Resource: target.resource, Namespaced: target.namespace !== '' };
    try {
      this.compare(key, name, await this.fetch(key, name, objectPath(mapping, target.namespace, name)));
      this.cancelReread(objectKey);
    } catch (error) {
      this.o.clients.failed(target.cluster); // the re-read goes through the cluster's registration read again
      const again = this.planReread(key, name);
      this.o.log(
        'warn',
        `cannot read ${target.resource} ${target.namespace ? `${target.namespace}/` : ''}${name} to compare it with what flights saw: ${(error as Error).message}${again ? '; reading it again' : ''}`,
        { watch: key, name },
      );
    }
  }

  // Why: a change whose read failed must not be lost until the next event on that object (there may be none): read it
  // again, backed off, a bounded number of times; after that the periodic re-check of the app is the last resort.
  private planReread(key: string, name: string): boolean {
    const objectKey = `${key}/${name}`;
    const current = this.rereads.get(objectKey);
    current?.timer.cancel();
    const backoff = current?.backoff ?? new Backoff(rereadBackoff);
    const attempts = (current?.attempts ?? 0) + 1;
    if (attempts > rereadAttempts || !this.byWatch.get(key)?.has(name)) {
      this.rereads.delete(objectKey);
      return false;
    }
    const timer = this.o.clock.after(backoff.next(), () => void this.check(key, name, undefined));
    this.rereads.set(objectKey, { timer, backoff, attempts });
    return true;
  }

  /** Drops the planned re-read of an object (read at last, or no longer referenced). */
  private cancelReread(objectKey: string): void {
    this.rereads.get(objectKey)?.timer.cancel();
    this.rereads.delete(objectKey);
  }

  /** Cancels every planned re-read (the refresher stops). */
  stop(): void {
    for (const objectKey of [...this.rereads.keys()]) this.cancelReread(objectKey);
  }

  // Why: a change is reported once per app; the baseline then moves on, so later heartbeats compare equal.
  private compare(key: string, name: string, observed: string | undefined): void {
    for (const [app, baseline] of this.byWatch.get(key)?.get(name) ?? []) {
      if (baseline.fingerprint === observed) continue;
      const what = baseline.fingerprint === undefined ? 'created' : observed === undefined ? 'deleted' : 'changed';
      baseline.fingerprint = observed;
      this.o.onChange({ app, ref: baseline.ref, what });
    }
  }

  // Why: coalesces GETs per object: callers arriving while one runs share the next one (which starts after they asked).
  private fetch(key: string, name: string, path: string): Promise<string | undefined> {
    const objectKey = `${key}/${name}`;
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(objectKey) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(objectKey, list);
      if (!this.fetching.has(objectKey)) void this.drain(key, name, path);
    });
  }

  // Why: runs GETs for one object one after another until nobody waits.
  private async drain(key: string, name: string, path: string): Promise<void> {
    const objectKey = `${key}/${name}`;
    this.fetching.add(objectKey);
    try {
      for (let batch = this.waiters.get(objectKey); batch; batch = this.waiters.get(objectKey)) {
        this.waiters.delete(objectKey);
        try {
          const result = await this.read(key, name, path);
          for (const w of batch) w.resolve(result);
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.fetching.delete(objectKey);
    }
  }

  // Why: the full object is needed for its fingerprint; only the fingerprint is kept (Secret data never is).
  private async read(key: string, name: string, path: string): Promise<string | undefined> {
    const objectKey = `${key}/${name}`;
    const cluster = this.targets.get(key)?.cluster;
    if (cluster === undefined) return undefined;
    const res = await (await this.o.clients.http(cluster)).request(path);
    if (res.status === 404) {
      this.seen.delete(objectKey);
      return undefined;
    }
    if (res.status < 200 || res.status >= 300) throw failureFor('GET', path, res.status, res.text);
    const object = JSON.parse(res.text) as KubeObject;
    const result = fingerprint(object);
    const resourceVersion = object.metadata?.resourceVersion;
    if (resourceVersion && this.byWatch.get(key)?.has(name)) this.seen.set(objectKey, { resourceVersion, fingerprint: result });
    return result;
  }
}
