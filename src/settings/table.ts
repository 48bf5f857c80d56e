// Every setting jetway reads from its environment, in one table: name, default, which process reads it, what it does, how it parses.
// The admin sets these on the sidecar containers; an Application author cannot reach them. README's admin table is checked against this.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMaxModuleBytes, defaultMaxOciManifestBytes } from '../module/bounds.js';
import type { BuildSwitch } from '../module/build.js';
import { defaultRenderedLimit } from '../stages/bounds.js';
import { defaultWorkerHeapMib } from '../wasi/flight-worker.js';
import { defaultStdoutLimit } from '../wasi/run.js';
import { absolutePath, atMost, boundedInt, duration, list, matchers, oneOf, pemFiles, positiveInt, readableFile, text, type Parser } from './parsers.js';

/** The default bound on waiting runs: above the ~30 manifest requests Argo CD's controller sends at once by default (20 status + 10 operation processors). */
export const defaultMaxQueued = 64;

/** The values, by the name the code uses. */
export interface Settings {
  /** Globs a module reference must match; empty = any. */
  allow: string[];
  /** PEM public keys; when set, modules must be signed. */
  verifyKeys: string[];
  /** Ceiling for maxMemoryMib. */
  maxMemoryMib: number | undefined;
  /** The deadline of a run with no timeout or a longer one, in ms. */
  maxTimeoutMs: number;
  /** Matchers that bound what any app's matchers (and refs outside its namespace) can open. */
  lookupCeiling: string[] | undefined;
  /** Module and build cache directory. */
  cacheDir: string;
  cacheMaxBytes: number;
  /** How long a tag or plain URL is trusted before it is resolved again, in ms. */
  mutableTtlMs: number;
  /** The Go toolchain for `build`. */
  go: string;
  /** Whether `build: true` may compile: auto = yes unless JETWAY_MODULE_ALLOW or JETWAY_VERIFY_KEYS is set. */
  build: BuildSwitch;
  /** Bound on a module's downloaded and decompressed size. */
  maxModuleBytes: number;
  /** Bound on an OCI manifest's size. */
  maxOciManifestBytes: number;
  /** Bound on a flight's stdout (and stderr). */
  maxOutputBytes: number;
  /** Bound on the rendered manifests, YAML aliases expanded and metadata added. */
  maxRenderedBytes: number;
  /** Bound on a flight worker thread's JavaScript heap, in MiB. */
  workerHeapMib: number;
  /** The unix socket of `jetway serve`; undefined: generate runs in-process, serve and status use `defaultSocket`. */
  socket: string | undefined;
  /** A kubeconfig for lookups and refreshes; undefined: KUBECONFIG, ~/.kube/config, in-cluster. */
  kubeconfig: string | undefined;
  /** The directory of docker's config.json with registry credentials; undefined: ~/.docker. */
  dockerConfig: string | undefined;
  /** Bound on the flight's composed input (inputFiles + input map, YAML aliases expanded), in bytes. */
  maxInputBytes: number;
  /** Bound on a list index in an `input` map path (`list.N`). */
  maxInputListIndex: number;
  /** Looked-up objects one app's record may have watched; past it the app is re-checked periodically. */
  maxRefsPerApp: number;
  /** Watches (distinct resource and namespace) one `jetway serve` opens; an app that would pass it is re-checked periodically. */
  maxWatches: number;
  /** Where `jetway serve` sees the plugin's unpacked sources, `<plugin TMPDIR>/_cmp_server`; undefined: generate runs in the plugin container. */
  sourcesDir: string | undefined;
  /** Whether non-owned lookups are bounded by the app's AppProject destinations; off = yoke's policy exactly. */
  projectScope: 'on' | 'off';
  /** Guest memory (MiB) the flights running in `jetway serve` may reserve together; undefined: derived from the container's limit. */
  serveMemoryMib: number | undefined;
  /** Runs that may wait for a worker in `jetway serve` at once. */
  maxQueuedRuns: number;
}

/** Which process reads a setting: `generate` (the plugin container), `serve` (the service container, and `status`), or both. */
export type Reader = 'generate' | 'serve' | 'both';

export interface SettingSpec<K extends keyof Settings = keyof Settings> {
  key: K;
  /** The environment variable. */
  name: string;
  readBy: Reader;
  /** The default, as the README states it. */
  default: string;
  /** One line for the README. */
  doc: string;
  parse: Parser<Settings[K]>;
}

/** Where `jetway serve` listens and `jetway status` asks when JETWAY_SOCKET is unset (deploy/ sets it on both containers). */
export const defaultSocket = '/var/run/jetway/jetway.sock';

/** `n (x MiB)` for a byte default. */
const bytes = (n: number): string => `${n} (${n / (1024 * 1024)} MiB)`;

const setting = <K extends keyof Settings>(spec: SettingSpec<K>): SettingSpec => spec;

export const settingsTable: readonly SettingSpec[] = [
  setting({
    key: 'allow',
    name: 'JETWAY_MODULE_ALLOW',
    readBy: 'generate',
    default: 'unset (any module)',
    doc: 'comma-separated globs every module reference (after `refs` are filled in), and every redirect target of an http(s) module, must match (redirects: at most 10, never https to http)',
    parse: list,
  }),
  setting({
    key: 'verifyKeys',
    name: 'JETWAY_VERIFY_KEYS',
    readBy: 'generate',
    default: 'unset (no signature needed)',
    doc: 'PEM public key files: modules must carry a valid yoke signature (`yoke.schematics:signature`)',
    parse: pemFiles,
  }),
  setting({
    key: 'maxMemoryMib',
    name: 'JETWAY_MAX_MEMORY_MIB',
    readBy: 'generate',
    default: 'unset (no ceiling)',
    doc: 'ceiling on `maxMemoryMib`, and the cap of apps that ask for none',
    parse: boundedInt(undefined, 4096, 'MiB'),
  }),
  // 50 s: Argo CD's one deadline for a manifest request (controller.repo.server.timeout.seconds) is 60 s and also covers
  // fetching the repository, so a flight stopped at 50 s still fails with jetway's own line. At most 24 h: a Node timer
  // longer than 2^31-1 ms fires at once.
  setting({
    key: 'maxTimeoutMs',
    name: 'JETWAY_MAX_TIMEOUT',
    readBy: 'both',
    default: '50s',
    doc: "the deadline of a flight with no `timeout` or a longer one (Argo CD gives a whole manifest request 60 s, repository fetch included, so a flight stopped at 50 s still fails with jetway's own line); set it on both containers, and raise it together with Argo CD's `controller.repo.server.timeout.seconds`",
    parse: atMost(duration(50_000), 24 * 3_600_000, 'a positive Go duration of at most 24h, such as "50s"'),
  }),
  setting({
    key: 'lookupCeiling',
    name: 'JETWAY_LOOKUP_CEILING',
    readBy: 'generate',
    default: 'unset (no ceiling)',
    doc: "matchers that bound what any app's `resourceMatchers` can open; `refs` outside the destination namespace need one that admits them",
    parse: matchers,
  }),
  setting({
    key: 'cacheDir',
    name: 'JETWAY_CACHE_DIR',
    readBy: 'both',
    default: '`$TMPDIR/jetway-cache`',
    doc: 'the module and build cache (content-addressed); `serve` keeps it under its bound; a cache that cannot be written only warns and the run continues uncached',
    parse: text(join(tmpdir(), 'jetway-cache')),
  }),
  setting({
    key: 'cacheMaxBytes',
    name: 'JETWAY_CACHE_MAX_BYTES',
    readBy: 'both',
    default: '1073741824 (1 GiB)',
    doc: 'bound on the cached modules; least recently used go first',
    parse: positiveInt(1024 * 1024 * 1024),
  }),
  setting({
    key: 'mutableTtlMs',
    name: 'JETWAY_MUTABLE_TTL',
    readBy: 'generate',
    default: '5m',
    doc: 'tags and plain URLs are re-resolved after this long; digests never',
    parse: duration(5 * 60_000),
  }),
  setting({ key: 'go', name: 'JETWAY_GO', readBy: 'generate', default: '`go` on PATH', doc: 'the Go toolchain for `build`', parse: text('go') }),
  setting({
    key: 'build',
    name: 'JETWAY_BUILD',
    readBy: 'generate',
    default: '`auto`',
    doc: '`auto`: `build` allowed unless `JETWAY_MODULE_ALLOW` or `JETWAY_VERIFY_KEYS` is set; `on`: also under `JETWAY_MODULE_ALLOW`; `off`: never. Builds and Go caches stay within `JETWAY_CACHE_MAX_BYTES`',
    parse: oneOf(['auto', 'on', 'off'] as const, 'auto'),
  }),
  setting({
    key: 'maxModuleBytes',
    name: 'JETWAY_MAX_MODULE_BYTES',
    readBy: 'generate',
    default: bytes(defaultMaxModuleBytes),
    doc: "a module's size, downloaded and decompressed",
    parse: positiveInt(defaultMaxModuleBytes),
  }),
  setting({
    key: 'maxOciManifestBytes',
    name: 'JETWAY_MAX_OCI_MANIFEST_BYTES',
    readBy: 'generate',
    default: bytes(defaultMaxOciManifestBytes),
    doc: "an OCI manifest's size",
    parse: positiveInt(defaultMaxOciManifestBytes),
  }),
  setting({
    key: 'maxOutputBytes',
    name: 'JETWAY_MAX_OUTPUT_BYTES',
    readBy: 'generate',
    default: bytes(defaultStdoutLimit),
    doc: 'what a flight may write to stdout, and to stderr (the first MiB of stderr is kept)',
    parse: positiveInt(defaultStdoutLimit),
  }),
  setting({
    key: 'maxRenderedBytes',
    name: 'JETWAY_MAX_RENDERED_BYTES',
    readBy: 'generate',
    default: bytes(defaultRenderedLimit),
    doc: "the rendered manifests, YAML aliases expanded and jetway's metadata added (Argo CD's own limit is 100 MiB)",
    parse: positiveInt(defaultRenderedLimit),
  }),
  setting({
    key: 'workerHeapMib',
    name: 'JETWAY_WORKER_HEAP_MIB',
    readBy: 'both',
    default: String(defaultWorkerHeapMib),
    doc: 'the JavaScript heap of a flight worker thread (the host side of one run), in MiB',
    parse: positiveInt(defaultWorkerHeapMib),
  }),
  setting({
    key: 'socket',
    name: 'JETWAY_SOCKET',
    readBy: 'both',
    default: `unset: generate runs in-process; serve and status use \`${defaultSocket}\``,
    doc: 'the unix socket of `jetway serve`; generate hands runs to it and runs in-process when it does not answer',
    parse: text(undefined),
  }),
  setting({
    key: 'kubeconfig',
    name: 'JETWAY_KUBECONFIG',
    readBy: 'serve',
    default: 'unset: KUBECONFIG, ~/.kube/config, else in-cluster credentials',
    doc: "jetway serve's credentials for Argo CD's cluster: the in-cluster destination's lookups, `refs` and watches (unless a cluster Secret registering https://kubernetes.default.svc gives its own token), cluster Secrets, argocd-cm, AppProjects, records and hard refreshes (the plugin container holds none)",
    parse: readableFile,
  }),
  setting({
    key: 'dockerConfig',
    name: 'DOCKER_CONFIG',
    readBy: 'generate',
    default: '`~/.docker`',
    doc: "the directory of docker's `config.json`: registry credentials for `oci://` modules",
    parse: text(undefined),
  }),
  setting({
    key: 'maxInputBytes',
    name: 'JETWAY_MAX_INPUT_BYTES',
    readBy: 'generate',
    default: '16777216 (16 MiB)',
    doc: "bound on the flight's input as composed from `inputFiles` and `input` (YAML aliases expanded)",
    parse: positiveInt(16 * 1024 * 1024),
  }),
  setting({
    key: 'maxInputListIndex',
    name: 'JETWAY_MAX_INPUT_LIST_INDEX',
    readBy: 'generate',
    default: '10000',
    doc: 'bound on a list index in an `input` path (`list.N`)',
    parse: positiveInt(10_000),
  }),
  setting({
    key: 'sourcesDir',
    name: 'JETWAY_SOURCES_DIR',
    readBy: 'serve',
    default: 'unset: generate runs in the plugin container',
    doc: "where `jetway serve` sees the plugin container's unpacked sources (`<plugin /tmp>/_cmp_server`, mounted read-only): set, serve does the whole generate for the launcher; it declines requests outside it, `build`, and a plugin container whose other JETWAY_* settings differ from its own",
    parse: absolutePath,
  }),
  setting({
    key: 'maxRefsPerApp',
    name: 'JETWAY_MAX_REFS_PER_APP',
    readBy: 'serve',
    default: '256',
    doc: "looked-up objects one app's run record may have watched; past it the app is not watched but re-checked periodically, with a `WatchLimitReached` warning Event",
    parse: positiveInt(256),
  }),
  setting({
    key: 'maxWatches',
    name: 'JETWAY_MAX_WATCHES',
    readBy: 'serve',
    default: '500',
    doc: 'watches (distinct cluster, resource and namespace) one `jetway serve` opens; an app that would pass it is re-checked periodically instead, with a warning Event',
    parse: positiveInt(500),
  }),
  setting({
    key: 'projectScope',
    name: 'JETWAY_PROJECT_SCOPE',
    readBy: 'serve',
    default: '`on`',
    doc: "`on`: a non-owned object is readable only in a namespace (and cluster) the app's AppProject `destinations` permit (Argo CD's globs, `!` negation; cluster-scoped kinds also need the project's cluster resource lists), owned objects always, others Forbidden naming the project; `off`: yoke's policy exactly",
    parse: oneOf(['on', 'off'] as const, 'on'),
  }),
  setting({
    key: 'serveMemoryMib',
    name: 'JETWAY_SERVE_MEMORY_MIB',
    readBy: 'serve',
    default:
      "unset: the container's memory limit (cgroup v2 `memory.max`) less the worker heaps (workers × `JETWAY_WORKER_HEAP_MIB`) and 256 MiB for the process (1536 for deploy/'s 2Gi); no budget where the container has no limit",
    doc: 'the wasm memory all flights running in `jetway serve` may reserve together, in MiB: each run reserves its memory bound (`maxMemoryMib`, which `JETWAY_MAX_MEMORY_MIB` sets for apps that ask for none; else the 4096 MiB wasm limit) while it runs; a run that does not fit waits its turn, one larger than the whole budget fails at once naming this setting',
    parse: positiveInt(undefined),
  }),
  setting({
    key: 'maxQueuedRuns',
    name: 'JETWAY_MAX_QUEUED_RUNS',
    readBy: 'serve',
    default: String(defaultMaxQueued),
    doc: 'runs that may wait for a worker in `jetway serve` at once; past it the app with the most waiting runs gives its newest up, or the newcomer is refused when that is its own app: generate gets the overload answer naming this setting',
    parse: positiveInt(defaultMaxQueued),
  }),
];
