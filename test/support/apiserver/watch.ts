// WATCH: replay from the event log or the current state, then live events, bookmarks and timeouts.

import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../../src/cluster/types.js';
import { type ResourceType, joinApiVersion } from './discovery.js';
import { type Store, type StoreEvent, parseFieldSelector, parseLabelSelector, type Selector } from './store.js';
import { type Negotiated, render } from './negotiation.js';

/** One open watch connection. */
export interface WatchConn {
  t: ResourceType;
  ns: string;
  labels: Selector;
  fields: Selector;
  metadataOnly: boolean;
  bookmarks: boolean;
  res: ServerResponse;
  end(): void;
  bookmark(annotations?: Record<string, string>): void;
}

// WATCH: replay from the log or send the current state, then stream live events until timeout, close or disconnect.
export function serveWatch(store: Store, watches: Set<WatchConn>, bookmarkIntervalMs: number, res: ServerResponse, t: ResourceType, ns: string, q: URLSearchParams, mode: Negotiated): void {
  const labels = parseLabelSelector(q.get('labelSelector'));
  const fields = parseFieldSelector(t, q.get('fieldSelector'));
  const rvParam = q.get('resourceVersion') ?? '';
  const bookmarks = q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1';
  const initialEvents = q.get('sendInitialEvents') === 'true';
  const metadataOnly = mode !== 'json';
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const write = (type: string, object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const n = Number(rvParam);
  if (rvParam && rvParam !== '0' && !initialEvents && (!Number.isInteger(n) || n < store.compactedBefore)) {
    write('ERROR', {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: Number.isInteger(n) ? `too old resource version: ${rvParam} (${store.compactedBefore})` : `invalid resource version: ${rvParam}`,
      reason: Number.isInteger(n) ? 'Expired' : 'BadRequest',
      code: Number.isInteger(n) ? 410 : 400,
    });
    res.end();
    return;
  }
  const visible = (o: KubeObject | undefined) => o !== undefined && (!t.namespaced || !ns || o.metadata?.namespace === ns) && labels(o) && fields(o);
  const send = (ev: StoreEvent) => {
    if (ev.group !== t.group || ev.plural !== t.plural) return;
    const now = visible(ev.obj);
    const before = ev.type !== 'ADDED' && visible(ev.prev);
    let type: string | undefined;
    if (ev.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (ev.type === 'DELETED') type = now || before ? 'DELETED' : undefined;
    else type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    if (type) write(type, render(t, ev.obj, metadataOnly ? 'meta' : 'json'));
  };
  const conn: WatchConn = {
    t,
    ns,
    labels,
    fields,
    metadataOnly,
    bookmarks,
    res,
    end: () => {
      cleanup();
      if (!res.writableEnded) res.end();
    },
    bookmark: (annotations) => {
      write('BOOKMARK', {
        kind: metadataOnly ? 'PartialObjectMetadata' : t.kind,
        apiVersion: metadataOnly ? 'meta.k8s.io/v1' : joinApiVersion(t.group, t.version),
        metadata: { resourceVersion: String(store.rv), ...(annotations ? { annotations } : {}) },
      });
    },
  };
  if (!rvParam || rvParam === '0' || initialEvents) {
    for (const o of store.items(t, ns)) if (visible(o)) write('ADDED', render(t, o, metadataOnly ? 'meta' : 'json'));
    if (initialEvents && bookmarks) conn.bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    for (const ev of store.log) if (ev.rv > n) send(ev);
  }
  store.listeners.add(send);
  watches.add(conn);
  const timers: NodeJS.Timeout[] = [];
  const timeout = Number(q.get('timeoutSeconds') ?? 0);
  if (timeout > 0) timers.push(setTimeout(() => conn.end(), timeout * 1000));
  if (bookmarks) timers.push(setInterval(() => conn.bookmark(), bookmarkIntervalMs));
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    for (const tm of timers) clearTimeout(tm);
    store.listeners.delete(send);
    watches.delete(conn);
  };
  res.on('close', cleanup);
}
