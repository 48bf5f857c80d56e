/**
 * A faithful in-process fake of the Kubernetes API server, for tests that drive `@kubernetes/client-node` 1.4.
 *
 * Start / stop
 *   const api = await startApiServer();            // HTTPS on 127.0.0.1:<random>, self-signed CA (openssl, once per process)
 *   ...; await api.close();                        // ends open watches and hung requests, removes temp files
 *
 * Connecting a client
 *   const kc = new KubeConfig(); kc.loadFromFile(api.kubeconfig());           // admin token, context namespace "default"
 *   kc.loadFromFile(api.kubeconfig('reader-token'));                            // any token added with addToken
 *   // In-cluster: loadFromCluster(prefix) reads `${prefix}/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}`
 *   // and the server from process.env.KUBERNETES_SERVICE_HOST / _PORT at call time (port 80/8080/8001 => http, else https).
 *   Object.assign(process.env, api.inClusterEnv()); kc.loadFromCluster(api.serviceAccountDir('reader-token', 'argocd'));
 *
 * Auth
 *   api.adminToken                                  // allowed everything (user "kubernetes-admin")
 *   api.addToken(token, rules, user?)               // rules: {verbs, apiGroups, resources, resourceNames?, namespaces?}[], '*' allowed,
 *                                                   // "jobs/status", "*\/status", "jobs/*" for subresources; `namespaces` absent = cluster-wide
 *   api.removeToken(token)                          // later requests with it => 401
 *   No/unknown token => 401 Status {reason: Unauthorized, message: "Unauthorized"} (client-node 1.4 drops the 401 body: ApiException.body undefined).
 *   Denied => 403 with the real text, e.g. `secrets "x" is forbidden: User "system:serviceaccount:jetway:jetway" cannot get resource
 *   "secrets" in API group "" in the namespace "default"`. Authorization runs before routing, so a limited token asking for an
 *   unknown resource gets 403, not 404 (as on a real server). Discovery (/api, /apis, /version) is open to every valid token.
 *
 * Served API (everything answers JSON; every error is a `Status`)
 *   /version, /healthz, /livez, /readyz; /api (APIVersions), /api/v1 and /apis/<g>/<v> (APIResourceList, subresources listed),
 *   /apis (APIGroupList with preferredVersion), /apis/<g> (APIGroup).
 *   Built-ins: v1 Namespace ConfigMap Secret Service Pod ServiceAccount Event Node PersistentVolumeClaim; apps/v1 Deployment StatefulSet
 *   DaemonSet ReplicaSet; batch/v1 Job CronJob; apiextensions.k8s.io/v1 CustomResourceDefinition; rbac.authorization.k8s.io/v1
 *   Role ClusterRole RoleBinding ClusterRoleBinding; plus argoproj.io/v1alpha1 Application, installed as a real CRD object
 *   `applications.argoproj.io` (no status subresource, like Argo CD's) unless `{ argocd: false }`.
 *   Writing a CRD (POST or api.put(makeCrd({...}))) registers its served versions in discovery at once (status shows Established);
 *   deleting it unregisters the kind and deletes its instances.
 *   REST on /api/v1/... and /apis/<g>/<v>/...: GET, LIST (labelSelector full syntax, fieldSelector metadata.name/metadata.namespace
 *   + the real per-kind extras, limit/continue, resourceVersion), LIST across namespaces, WATCH (?watch=1|true, or /watch/ paths),
 *   POST (201; 409 AlreadyExists; namespace must exist), PUT (409 Conflict on stale resourceVersion; custom resources need one),
 *   PATCH (merge-patch, json-patch, strategic-merge-patch = merge patch for built-ins and 415 for custom resources as on a real
 *   server; apply-patch (SSA) is NOT implemented => 415), DELETE (finalizers honoured: deletionTimestamp, deleted when the last
 *   finalizer goes; propagationPolicy=Foreground (query or DeleteOptions body) adds the `foregroundDeletion` finalizer, which
 *   the test's garbage collector removes), DELETE collection, `?dryRun=All`. Updates through the API are validated for
 *   immutable fields (a Job's spec.selector and spec.template: 422 Invalid "field is immutable"; apiserver/validation.ts). Only the `status` subresource is served (others listed in discovery => 404).
 *   Status rules: on kinds with a status subresource, main-resource writes keep the old .status and POST drops it; /status writes
 *   change only .status. metadata.generation (workload kinds, CRDs, custom resources) goes up on spec changes only.
 *   No-op writes (PUT/PATCH/put() giving identical content) keep the resourceVersion and emit no watch event.
 *   Lists: built-in list items carry no kind/apiVersion (real server behaviour); custom-resource items do.
 *   Metadata-only: `Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1` (GET/WATCH) and
 *   `...;as=PartialObjectMetadataList;...` (LIST) answer PartialObjectMetadata(List); no acceptable Accept alternative => 406.
 *   Protobuf and as=Table are not served (a client listing application/json as fallback gets JSON).
 *   Secrets: stringData is folded into base64 data; type defaults to Opaque. Namespaces get kubernetes.io/metadata.name and phase Active.
 *
 * Watches
 *   No resourceVersion (or "0"): ADDED for every current object, then live events. resourceVersion=N: every logged event after N.
 *   N older than the last compactHistory() => one ERROR event {code: 410, reason: Expired, message "too old resource version: N (M)"}
 *   and the stream ends (client-node's informer then relists). allowWatchBookmarks=true: BOOKMARK events every bookmarkIntervalMs
 *   (default 60 s) or on api.sendBookmarks(); sendInitialEvents=true adds the "k8s.io/initial-events-end" bookmark.
 *   timeoutSeconds ends the stream. Label-selector watches see ADDED/DELETED when objects move into/out of the selector.
 *
 * Test controls (no HTTP, no auth; they emit watch events like real writes)
 *   put(obj)                       create or replace as given (status included; namespace defaults to "default"); returns stored copy
 *   get(apiVersion, kind, ns, name) / list(apiVersion, kind, ns?) / remove(apiVersion, kind, ns, name) (finalizers ignored)
 *   setStatus(apiVersion, kind, ns, name, status) / mutate(apiVersion, kind, ns, name, fn)
 *   resourceVersion                current global resourceVersion (number)
 *   compactHistory()               every resourceVersion older than the current one expires (watches from them get 410)
 *   requests / clearRequests()     log of {method, path, query, token, user, accept, contentType, body, status, watch}
 *   onRequest(fn) => unsubscribe   called for each request before it is served
 *   fail(matcher, response)        fault injection: matcher {method?, pathPrefix?, watch?, match?, times? (default 1; Infinity ok)},
 *                                  response {status, retryAfter?, message?} | {delayMs} (then served normally) | {hang: true} | {reset: true}
 *                                  | {until(request)} (held until the promise it returns settles, then served normally)
 *   openWatches / waitForWatches(n, timeoutMs?) / closeWatches() / sendBookmarks()
 *   ns(name)                       shorthand: put a Namespace
 *   ca / caFile / useTls(material) the serving CA; useTls serves a new certificate (newTlsMaterial(name)) and cuts open connections
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/cluster/types.js';
import { tlsMaterial, type TlsMaterial } from './certs.js';
import { Registry, type ResourceType, apiGroup, apiGroupList, apiResourceList, argoApplicationCrd, joinApiVersion } from './discovery.js';
import { StatusError, badRequest, injected, methodNotAllowed, notFound, pathNotFound, unauthorized } from './errors.js';
import { type PolicyRule, type TokenEntry, authorize, isWatch, requestAttributes } from './auth.js';
import { jsonPatch, mergePatch } from './patch.js';
import { Faults, type FaultHandle, type FaultMatcher, type FaultResponse } from './faults.js';
import { serveList } from './list.js';
import { negotiate, render } from './negotiation.js';
import { sendJson } from './respond.js';
import { type WatchConn, serveWatch } from './watch.js';
import { Store, gr, parseFieldSelector, parseLabelSelector } from './store.js';

export interface ApiServerOptions {
  /** Token allowed everything. Default "admin-token". */
  adminToken?: string;
  /** gitVersion served at /version. Default "v1.31.2". */
  gitVersion?: string;
  /** Install Argo CD's Application CRD. Default true. */
  argocd?: boolean;
  /** Namespaces created at start. Default default, kube-system, kube-public, kube-node-lease. */
  namespaces?: string[];
  /** Objects put() at start (after namespaces and CRDs in the list, which go first). */
  objects?: KubeObject[];
  /** Interval of BOOKMARK events on watches that allow them. Default 60000. */
  bookmarkIntervalMs?: number;
  /** The CA and serving certificate. Default: the process-wide tlsMaterial(); newTlsMaterial() gives a server a CA of its own. */
  tls?: TlsMaterial;
}

/** One logged request. */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  token?: string;
  user?: string;
  accept?: string;
  contentType?: string;
  body?: unknown;
  watch: boolean;
  /** Response status, set when the response head is written. */
  status?: number;
}

// Starts a fake on a random loopback port.
export type { FaultHandle, FaultMatcher, FaultResponse } from './faults.js';

export async function startApiServer(options: ApiServerOptions = {}): Promise<FakeApiServer> {
  const s = new FakeApiServer(options);
  await s.listen();
  return s;
}

export class FakeApiServer {
  readonly adminToken: string;
  private tls: TlsMaterial;
  readonly requests: RequestRecord[] = [];
  private readonly registry = new Registry();
  private readonly store = new Store(this.registry);
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly faults = new Faults();
  private readonly hooks = new Set<(r: RequestRecord) => void>();
  private readonly watches = new Set<WatchConn>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private readonly dir = mkdtempSync(join(tmpdir(), 'jetway-apiserver-'));
  private readonly bookmarkIntervalMs: number;
  private readonly gitVersion: string;
  private port = 0;
  private files = 0;
  private closed = false;

  // Builds the initial state; listen() opens the port.
  constructor(options: ApiServerOptions = {}) {
    const tls = options.tls ?? tlsMaterial();
    this.tls = tls;
    this.adminToken = options.adminToken ?? 'admin-token';
    this.gitVersion = options.gitVersion ?? 'v1.31.2';
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
    this.tokens.set(this.adminToken, { user: 'kubernetes-admin' });
    for (const ns of options.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) this.ns(ns);
    if (options.argocd !== false) this.put(argoApplicationCrd());
    const initial = options.objects ?? [];
    const first = (o: KubeObject) => (o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition' ? 0 : 1);
    for (const o of [...initial].sort((a, b) => first(a) - first(b))) this.put(o);
    this.server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => void this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  // Opens the port.
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
  }

  /** The file of the CA that signed the serving certificate. */
  get caFile(): string {
    return this.tls.caFile;
  }

  /** The PEM of the CA that signed the serving certificate. */
  get ca(): string {
    return this.tls.ca;
  }

  // Serves a new certificate (a CA rotation): new connections see it; open ones are cut, as a restarted API server would.
  useTls(tls: TlsMaterial): void {
    this.tls = tls;
    this.server.setSecureContext({ key: tls.key, cert: tls.cert });
    for (const s of this.sockets) s.destroy();
  }

  /** https://127.0.0.1:<port> */
  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** The current (newest) resourceVersion. */
  get resourceVersion(): number {
    return this.store.rv;
  }

  /** Open watch connections right now. */
  get openWatches(): number {
    return this.watches.size;
  }

  // Writes a kubeconfig for one token, so tests load it the way users do.
  kubeconfig(token = this.adminToken, opts: { namespace?: string; embedCa?: boolean } = {}): string {
    const file = join(this.dir, `kubeconfig-${++this.files}.yaml`);
    const ca = opts.embedCa ? `    certificate-authority-data: ${Buffer.from(this.tls.ca).toString('base64')}` : `    certificate-authority: ${JSON.stringify(this.caFile)}`;
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${this.url}`,
        ca,
        'users:',
        '- name: fake-user',
        '  user:',
        `    token: ${JSON.stringify(token)}`,
        'contexts:',
        '- name: fake',
        '  context:',
        '    cluster: fake',
        '    user: fake-user',
        `    namespace: ${opts.namespace ?? 'default'}`,
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return file;
  }

  // Writes the service-account files loadFromCluster(prefix) reads; returns the prefix (set inClusterEnv() too).
  serviceAccountDir(token = this.adminToken, namespace = 'default'): string {
    const prefix = join(this.dir, `incluster-${++this.files}`);
    const sa = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'ca.crt'), this.tls.ca);
    writeFileSync(join(sa, 'namespace'), namespace);
    return prefix;
  }

  // The env loadFromCluster reads the server address from.
  inClusterEnv(): { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string } {
    return { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(this.port) };
  }

  // Grants a token the given rules (replacing earlier ones).
  addToken(token: string, rules: PolicyRule[], user = 'system:serviceaccount:jetway:jetway'): void {
    this.tokens.set(token, { user, rules });
  }

  // Revokes a token.
  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  // The type an object names, or a clear error for tests that forgot a CRD.
  private typeOf(apiVersion: string | undefined, kind: string | undefined): ResourceType {
    const t = this.registry.byKind(apiVersion ?? '', kind ?? '');
    if (!t) throw new Error(`fake apiserver: no kind ${kind} served at ${apiVersion} (create its CRD first)`);
    return t;
  }

  // Test control: create or replace an object as given.
  put(obj: KubeObject): KubeObject {
    return this.store.put(this.typeOf(obj.apiVersion, obj.kind), obj);
  }

  // Test control: create a Namespace.
  ns(name: string, labels?: Record<string, string>): KubeObject {
    return this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
  }

  // Test control: read one object (namespace ignored for cluster-scoped kinds).
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const t = this.typeOf(apiVersion, kind);
    const o = this.store.read(t, namespace ?? '', name);
    if (o) o.apiVersion = apiVersion;
    return o;
  }

  // Test control: the objects of a kind, in one namespace or all.
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    return this.store.items(this.typeOf(apiVersion, kind), namespace ?? '').map((o) => ({ ...o, apiVersion }));
  }

  // Test control: delete at once; false when absent.
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean {
    return this.store.remove(this.typeOf(apiVersion, kind), namespace ?? '', name);
  }

  // Test control: change an object through a function (a controller's write).
  mutate(apiVersion: string, kind: string, namespace: string | undefined, name: string, fn: (o: KubeObject) => void): KubeObject {
    const o = this.get(apiVersion, kind, namespace, name);
    if (!o) throw new Error(`fake apiserver: ${kind} ${namespace ?? ''}/${name} not found`);
    fn(o);
    return this.put(o);
  }

  // Test control: replace .status (what a controller does through /status).
  setStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: unknown): KubeObject {
    return this.mutate(apiVersion, kind, namespace, name, (o) => {
      o.status = status;
    });
  }

  // Test control: make every older resourceVersion expire (watches resuming from one get 410).
  compactHistory(): void {
    this.store.compact();
  }

  // Forgets the request log.
  clearRequests(): void {
    this.requests.length = 0;
  }

  // Registers a hook called with each request record before it is served.
  onRequest(fn: (r: RequestRecord) => void): () => void {
    this.hooks.add(fn);
    return () => this.hooks.delete(fn);
  }

  // Fault injection for matching requests (checked before authentication).
  fail(matcher: FaultMatcher, response: FaultResponse): FaultHandle {
    return this.faults.add(matcher, response);
  }

  // Resolves once at least n watches are open (watch setup is asynchronous on the client).
  async waitForWatches(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.watches.size < n) {
      if (Date.now() > deadline) throw new Error(`fake apiserver: ${this.watches.size} watches open, wanted ${n}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  // Ends every open watch from the server side (as an apiserver restart or timeout would).
  closeWatches(): void {
    for (const w of [...this.watches]) w.end();
  }

  // Sends a BOOKMARK now on every watch that allowed them.
  sendBookmarks(): void {
    for (const w of this.watches) if (w.bookmarks) w.bookmark();
  }

  // Stops the server: open watches end, hung requests are cut, temp files go.
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closeWatches();
    const done = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await done;
    rmSync(this.dir, { recursive: true, force: true });
  }

  // Entry point of every HTTP request: log, faults, authentication, authorization, routing; errors become Status bodies.
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://fake');
    const raw = await readBody(req);
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const rec: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      watch: isWatch(url.searchParams) || /^\/apis?\/(?:[^/]+\/)?[^/]+\/watch\//.test(url.pathname),
      ...(token !== undefined ? { token } : {}),
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
    };
    if (raw.length > 0) rec.body = parseJson(raw.toString('utf8')) ?? raw.toString('utf8');
    this.requests.push(rec);
    const origWriteHead = res.writeHead.bind(res);
    res.writeHead = (code: number, ...rest: unknown[]) => {
      rec.status = code;
      return (origWriteHead as (...a: unknown[]) => ServerResponse)(code, ...rest);
    };
    try {
      for (const h of [...this.hooks]) h(rec);
      const r = this.faults.take(rec);
      if (r) {
        if ('hang' in r) return;
        if ('reset' in r) {
          req.socket.destroy();
          return;
        }
        if ('until' in r) await r.until(rec).catch(() => undefined);
        else if ('delayMs' in r) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
        else throw injected(r.status, r.retryAfter, r.message);
      }
      const entry = token !== undefined ? this.tokens.get(token) : undefined;
      if (!entry) throw unauthorized();
      rec.user = entry.user;
      const attrs = requestAttributes(rec.method, url.pathname, url.searchParams);
      const denied = authorize(entry, attrs);
      if (denied) throw denied;
      if (!attrs.resourceRequest) this.serveNonResource(rec.method, url.pathname, res);
      else this.serveResource(req, res, url, raw);
    } catch (e) {
      if (res.headersSent) {
        res.end();
        return;
      }
      const err = e instanceof StatusError ? e : new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      sendJson(res, err.code, err.toStatus(), err.headers);
    }
  }

  // Discovery, /version and health endpoints.
  private serveNonResource(method: string, path: string, res: ServerResponse): void {
    const p = path.replace(/\/+$/, '') || '/';
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    if (p === '/version') {
      const m = /^v(\d+)\.(\d+)/.exec(this.gitVersion);
      sendJson(res, 200, {
        major: m?.[1] ?? '1',
        minor: m?.[2] ?? '31',
        gitVersion: this.gitVersion,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-10-22T20:28:14Z',
        goVersion: 'go1.22.8',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
      return;
    }
    if (/^\/(healthz|livez|readyz)$/.test(p)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (p === '/api') {
      sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }] });
      return;
    }
    if (p === '/apis') {
      sendJson(res, 200, apiGroupList(this.registry));
      return;
    }
    const parts = p.split('/').filter(Boolean);
    if (parts[0] === 'api' && parts.length === 2) {
      const list = apiResourceList(this.registry, '', parts[1]!);
      if (list) return sendJson(res, 200, list);
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const g = this.registry.groups().find((x) => x.name === parts[1] && x.name !== '');
      if (g) return sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) });
    }
    if (parts[0] === 'apis' && parts.length === 3) {
      const list = apiResourceList(this.registry, parts[1]!, parts[2]!);
      if (list) return sendJson(res, 200, list);
    }
    throw pathNotFound();
  }

  // REST on /api/v1/... and /apis/<g>/<v>/...: resolve the resource, then dispatch on the verb.
  private serveResource(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): void {
    let parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const group = parts[0] === 'api' ? '' : parts[1]!;
    const version = parts[0] === 'api' ? parts[1]! : parts[2]!;
    parts = parts.slice(parts[0] === 'api' ? 2 : 3);
    const q = url.searchParams;
    let watch = isWatch(q);
    if (parts[0] === 'watch') {
      watch = true;
      parts = parts.slice(1);
    }
    let ns = '';
    let inNamespace = false;
    if (parts[0] === 'namespaces' && parts.length >= 3 && parts[2] !== 'status' && parts[2] !== 'finalize') {
      ns = parts[1]!;
      inNamespace = true;
      parts = parts.slice(2);
    }
    if (parts.length > 3) throw pathNotFound();
    const [plural = '', name = '', sub = ''] = parts;
    const t = this.registry.byResource(group, version, plural);
    if (!t) throw pathNotFound();
    if (inNamespace && !t.namespaced) throw pathNotFound();
    if (!inNamespace && t.namespaced && name) throw pathNotFound();
    if (sub && (sub !== 'status' || !t.hasStatus)) throw pathNotFound();
    const method = req.method ?? 'GET';
    const dryRun = q.getAll('dryRun').includes('All');
    if (q.getAll('dryRun').some((d) => d !== 'All')) throw badRequest(`unsupported dry run option: ${q.getAll('dryRun').join(',')}`);
    const wo = { viaApi: true, dryRun, ...(sub ? { subresource: sub } : {}) };
    const body = () => {
      const parsed = parseJson(raw.toString('utf8'));
      if (parsed === undefined) throw badRequest(`couldn't get version/kind; json parse error: unexpected end of JSON input`);
      return parsed;
    };
    if (!name) {
      if (!inNamespace && t.namespaced && method !== 'GET') throw methodNotAllowed();
      if (method === 'GET') {
        const mode = negotiate(req.headers.accept, watch ? 'watch' : 'list');
        return watch ? serveWatch(this.store, this.watches, this.bookmarkIntervalMs, res, t, ns, q, mode) : serveList(this.store, res, t, ns, q, mode);
      }
      if (method === 'POST') {
        const created = this.store.create(t, body() as KubeObject, ns, wo);
        return sendJson(res, 201, created);
      }
      if (method === 'DELETE') {
        const labels = parseLabelSelector(q.get('labelSelector'));
        const fields = parseFieldSelector(t, q.get('fieldSelector'));
        const gone = this.store
          .items(t, ns)
          .filter((o) => labels(o) && fields(o))
          .map((o) => this.store.delete(t, ns, o.metadata?.name ?? '', wo));
        return sendJson(res, 200, { kind: t.listKind, apiVersion: joinApiVersion(t.group, t.version), metadata: { resourceVersion: String(this.store.rv) }, items: gone });
      }
      throw methodNotAllowed();
    }
    switch (method) {
      case 'GET': {
        const mode = negotiate(req.headers.accept, 'get');
        const o = this.store.read(t, ns, name);
        if (!o) throw notFound(gr(t), name);
        return sendJson(res, 200, render(t, o, mode));
      }
      case 'PUT':
        return sendJson(res, 200, this.store.update(t, ns, name, body() as KubeObject, wo));
      case 'PATCH':
        return sendJson(res, 200, this.patch(t, ns, name, req.headers['content-type'], raw, wo));
      case 'DELETE': {
        const opts = (raw.length ? parseJson(raw.toString('utf8')) : {}) as Record<string, any> | undefined;
        if ((opts?.dryRun as string[] | undefined)?.includes('All')) wo.dryRun = true;
        const pre = opts?.preconditions?.resourceVersion as string | undefined;
        const propagationPolicy = (opts?.propagationPolicy as string | undefined) ?? q.get('propagationPolicy') ?? undefined;
        const out = this.store.delete(t, ns, name, { ...wo, ...(pre ? { preconditionRv: pre } : {}), ...(propagationPolicy ? { propagationPolicy } : {}) });
        const pending = Boolean(out.metadata?.deletionTimestamp) && this.store.read(t, ns, name) !== undefined;
        if (t.custom || pending || t.kind === 'Pod') return sendJson(res, 200, out);
        return sendJson(res, 200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, ...(t.group ? { group: t.group } : {}), kind: t.plural, uid: out.metadata?.uid },
        });
      }
      default:
        throw methodNotAllowed();
    }
  }

  // PATCH: apply the patch to the stored object, then the usual update path (conflicts, status rules, no-op detection).
  private patch(t: ResourceType, ns: string, name: string, contentType: string | undefined, raw: Buffer, wo: { viaApi: boolean; dryRun: boolean; subresource?: string }): KubeObject {
    const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const accepted = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', ...(t.custom ? [] : ['application/strategic-merge-patch+json'])];
    if (!accepted.includes(ct) || ct === 'application/apply-patch+yaml') {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}${ct === 'application/apply-patch+yaml' ? ' (server-side apply is not implemented by the fake)' : ''}`,
      );
    }
    const old = this.store.read(t, ns, name);
    if (!old) throw notFound(gr(t), name);
    old.apiVersion = joinApiVersion(t.group, t.version);
    const patchDoc = parseJson(raw.toString('utf8'));
    if (patchDoc === undefined) throw badRequest('error decoding patch: invalid JSON');
    let next: KubeObject;
    if (ct === 'application/json-patch+json') {
      if (!Array.isArray(patchDoc)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      try {
        next = jsonPatch(old, patchDoc) as KubeObject;
      } catch (e) {
        throw new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
          causes: [{ reason: 'UnexpectedServerResponse', message: (e as Error).message }],
        });
      }
    } else {
      if (typeof patchDoc !== 'object' || patchDoc === null || Array.isArray(patchDoc)) throw badRequest('error decoding patch: the patch is not a JSON object');
      next = mergePatch(old, patchDoc) as KubeObject;
    }
    if (typeof next !== 'object' || next === null) throw badRequest('the patched object is not a JSON object');
    next.metadata ??= {};
    if (!next.metadata.resourceVersion) next.metadata.resourceVersion = old.metadata?.resourceVersion;
    return this.store.update(t, ns, name, next, wo);
  }
}

// JSON.parse that answers undefined instead of throwing.
function parseJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return undefined;
  }
}

// Reads a whole request body.
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
