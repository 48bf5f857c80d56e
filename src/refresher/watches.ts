// Metadata-only watches per (cluster, group, version, resource, namespace), shared by every app that looked something up there.

import type { IncomingMessage } from 'node:http';
import { Backoff, type BackoffOptions } from '../cluster/backoff.js';
import { failureFor } from '../cluster/http.js';
import { collectionPath } from '../cluster/paths.js';
import type { Clock } from './clock.js';
import type { ClusterClients, ClusterId } from './clusters.js';
import type { Log } from './log.js';
import { watchEvents } from './watch-stream.js';

/** Metadata only, with plain JSON as the fallback for servers that cannot (Secret contents never travel on watches). */
const metadataAccept = (as: string) => `application/json;as=${as};g=meta.k8s.io;v=v1, application/json`;

/** One watched collection: a resource in a namespace ('' for cluster-scoped resources) of a destination cluster. */
export interface WatchTarget {
  /** The destination cluster ('' = the cluster jetway runs in). */
  cluster: ClusterId;
  group: string;
  version: string;
  resource: string;
  namespace: string;
}

/** The key a target is shared under: one watch per (cluster, resource, namespace). */
export function watchKeyOf(t: Omit<WatchTarget, 'cluster'>, cluster: ClusterId): string {
  const collection = `${t.group}/${t.version}/${t.resource}/${t.namespace}`;
  return cluster === '' ? collection : `${cluster} ${collection}`;
}

/** A change the watch saw (metadata only). */
export interface ObjectEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  name: string;
  resourceVersion: string | undefined;
}

export interface WatchHandlers {
  /** An object of the collection was added, modified or deleted. */
  event(key: string, event: ObjectEvent): void;
  /** A list (the first, or a re-list after 410 Gone) found these objects: name => resourceVersion. */
  listed(key: string, objects: ReadonlyMap<string, string>): void;
  /** A list or watch of the collection failed (it is retried with backoff); `inARow` counts the failures since the last success. */
  failed(key: string, error: Error, inARow: number): void;
  /** A list or watch request of the collection succeeded after failing. */
  recovered(key: string): void;
}

export interface WatchesOptions {
  clients: ClusterClients;
  handlers: WatchHandlers;
  backoff: BackoffOptions;
  clock: Clock;
  log: Log;
}

interface PartialList {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: Array<{ metadata?: { name?: string; resourceVersion?: string } }>;
}

/** The server no longer has the resourceVersion we would resume from: only a re-list helps. */
class Expired extends Error {}

/** Reads a short error body. */
async function text(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** One collection's list-then-watch loop, alive until closed. */
class CollectionWatch {
  listed = false;
  private resourceVersion: string | undefined;
  private closed = false;
  private body: IncomingMessage | undefined;
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private readonly path: string;
  private failures = 0;

  constructor(
    readonly key: string,
    readonly target: WatchTarget,
    private readonly o: WatchesOptions,
  ) {
    const mapping = { Group: target.group, Version: target.version, Resource: target.resource, Namespaced: target.namespace !== '' };
    this.path = collectionPath(mapping, target.namespace);
    this.backoff = new Backoff(o.backoff);
    void this.run();
  }

  // Why: list once, then watch and resume from the last resourceVersion; re-list only on 410; back off on errors.
  private async run(): Promise<void> {
    let relist = true;
    while (!this.closed) {
      try {
        if (relist) {
          await this.list();
          relist = false;
        }
        if (await this.watch()) {
          this.backoff.reset();
          continue;
        }
      } catch (error) {
        if (this.closed) return;
        if (error instanceof Expired) {
          this.o.log('info', `watch of ${this.key} expired (410 Gone): listing again`, { watch: this.key });
          relist = true;
          continue;
        }
        this.o.log('warn', `watch of ${this.key} failed: ${(error as Error).message}`, { watch: this.key });
        // the next request reads the cluster's registration again: a rotated token or CA is picked up there
        this.o.clients.failed(this.target.cluster);
        this.o.handlers.failed(this.key, error as Error, ++this.failures);
      }
      await this.o.clock.sleep(this.backoff.next(), this.abort.signal);
    }
  }

  // Why: the list's resourceVersion is where the watch starts, and its items tell what changed while nobody watched.
  private async list(): Promise<void> {
    const objects = new Map<string, string>();
    let next: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const query = `?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
      const http = await this.o.clients.http(this.target.cluster);
      const page = await http.getJson<PartialList>(this.path + query, metadataAccept('PartialObjectMetadataList'));
      this.succeeded();
      for (const item of page.items ?? []) {
        if (item.metadata?.name) objects.set(item.metadata.name, item.metadata.resourceVersion ?? '');
      }
      resourceVersion = page.metadata?.resourceVersion;
      next = page.metadata?.continue || undefined;
    } while (next);
    if (this.closed) return;
    this.resourceVersion = resourceVersion;
    this.listed = true;
    this.o.handlers.listed(this.key, objects);
  }

  // Why: one watch request; true when it ended normally after doing work (resume at once), false when it ended at once (back off).
  private async watch(): Promise<boolean> {
    const started = this.o.clock.now();
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    const query = `?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(this.resourceVersion ?? '')}&timeoutSeconds=${timeoutSeconds}`;
    const http = await this.o.clients.http(this.target.cluster);
    const body = await http.stream(this.path + query, metadataAccept('PartialObjectMetadata'));
    if (this.closed) {
      body.destroy();
      return true;
    }
    if (body.statusCode === 410) {
      body.resume();
      throw new Expired();
    }
    if (body.statusCode !== 200) throw failureFor('GET', this.path, body.statusCode ?? 0, await text(body));
    this.succeeded();
    this.body = body;
    // A silent dead connection would otherwise hang here forever: the server ends the stream at timeoutSeconds.
    const idle = this.o.clock.after((timeoutSeconds + 30) * 1000, () => body.destroy(new Error(`no data for ${timeoutSeconds + 30} s`)));
    let events = 0;
    try {
      for await (const event of watchEvents(body, this.key)) {
        events++;
        if (event.type === 'ERROR') {
          if (event.object.code === 410) throw new Expired();
          throw new Error(`the API server ended the watch with an error: ${event.object.message ?? event.object.reason ?? `code ${event.object.code}`}`);
        }
        const resourceVersion = event.object.metadata?.resourceVersion;
        if (resourceVersion) this.resourceVersion = resourceVersion;
        const name = event.object.metadata?.name;
        if (event.type === 'BOOKMARK' || !name) continue;
        this.o.handlers.event(this.key, { type: event.type, name, resourceVersion });
      }
    } finally {
      idle.cancel();
      this.body = undefined;
      body.destroy();
    }
    return events > 0 || this.o.clock.now() - started > 1000;
  }

  // Why: the cluster answered again; whoever counted its failures is told once.
  private succeeded(): void {
    if (this.failures === 0 || this.closed) return;
    this.failures = 0;
    this.o.handlers.recovered(this.key);
  }

  /** Ends the stream and any backoff sleep; the loop then exits. */
  close(): void {
    this.closed = true;
    this.body?.destroy();
    this.abort.abort();
  }
}

/** The set of open watches, reconciled against what the records reference. */
export class Watches {
  private readonly watches = new Map<string, CollectionWatch>();

  constructor(private readonly o: WatchesOptions) {}

  /** Opens a watch for each target not yet watched and closes those no target needs any more. */
  sync(targets: ReadonlyMap<string, WatchTarget>): void {
    for (const [key, watch] of this.watches) {
      if (targets.has(key)) continue;
      watch.close();
      this.watches.delete(key);
      this.o.log('debug', `closed the watch of ${key}: no record references it`, { watch: key });
    }
    for (const [key, target] of targets) {
      if (this.watches.has(key)) continue;
      this.watches.set(key, new CollectionWatch(key, target, this.o));
      this.o.log('debug', `opened a watch of ${key}`, { watch: key });
    }
  }

  /** The cluster a watched collection belongs to. */
  clusterOf(key: string): ClusterId | undefined {
    return this.watches.get(key)?.target.cluster;
  }

  /** Whether the collection's first list is done (its events are then being followed). */
  listed(key: string): boolean {
    return this.watches.get(key)?.listed ?? false;
  }

  /** How many collections are watched (for metrics and `jetway status`). */
  get open(): number {
    return this.watches.size;
  }

  /** Closes every watch. */
  stop(): void {
    this.sync(new Map());
  }
}
