// LIST: selectors, resourceVersion checks, limit/continue pages and the real list shapes.

import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../../src/cluster/types.js';
import { type ResourceType, joinApiVersion } from './discovery.js';
import { StatusError, badRequest } from './errors.js';
import type { Store } from './store.js';
import { parseFieldSelector, parseLabelSelector } from './store.js';
import { sendJson } from './respond.js';
import { NOT_ACCEPTABLE, type Negotiated, render } from './negotiation.js';

// LIST: selectors, resourceVersion checks, limit/continue, the real list shapes.
export function serveList(store: Store, res: ServerResponse, t: ResourceType, ns: string, q: URLSearchParams, mode: Negotiated): void {
  if (mode === 'meta') throw new StatusError(406, 'NotAcceptable', NOT_ACCEPTABLE);
  const labels = parseLabelSelector(q.get('labelSelector'));
  const fields = parseFieldSelector(t, q.get('fieldSelector'));
  const rvParam = q.get('resourceVersion');
  if (rvParam && rvParam !== '0') {
    const n = Number(rvParam);
    if (!Number.isInteger(n)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a valid resource version`);
    if (n > store.rv) {
      throw new StatusError(504, 'Timeout', `Too large resource version: ${n}, current: ${store.rv}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
    if (q.get('resourceVersionMatch') === 'Exact' && n < store.compactedBefore) {
      throw new StatusError(410, 'Expired', `The resourceVersion for the provided list is too old.`);
    }
  }
  let items = store.items(t, ns).filter((o) => labels(o) && fields(o));
  const cont = q.get('continue');
  let listRv = store.rv;
  if (cont) {
    const tok = decodeContinue(cont);
    if (!tok) throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    if (tok.rv < store.compactedBefore) {
      throw new StatusError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    listRv = tok.rv;
    items = items.filter((o) => itemKey(o) > tok.after);
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
  const limit = Number(q.get('limit') ?? 0);
  if (limit > 0 && items.length > limit) {
    const rest = items.length - limit;
    items = items.slice(0, limit);
    metadata.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: listRv, start: itemKey(items[items.length - 1]!) })).toString('base64url');
    if (!q.get('labelSelector') && !q.get('fieldSelector')) metadata.remainingItemCount = rest;
  }
  if (mode === 'metaList') {
    return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: items.map((o) => render(t, o, 'meta')) });
  }
  const rendered = items.map((o) => {
    const r = render(t, o, 'json');
    if (!t.custom) {
      delete r.apiVersion;
      delete r.kind;
    }
    return r;
  });
  sendJson(res, 200, { kind: t.listKind, apiVersion: joinApiVersion(t.group, t.version), metadata, items: rendered });
}

// Storage-order key of a list item, for continue tokens.
function itemKey(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

// Decodes a continue token made by serveList.
function decodeContinue(s: string): { rv: number; after: string } | undefined {
  try {
    const d = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { rv: number; start: string };
    return typeof d.rv === 'number' && typeof d.start === 'string' ? { rv: d.rv, after: d.start } : undefined;
  } catch {
    return undefined;
  }
}
