// `jetway serve`: the long-lived service beside the plugin: warm runs over a unix socket, watch-driven hard refreshes, metrics.

import { Command } from 'commander';
import { parseGoDuration } from '../params/duration.js';
import type { ServeSettings } from '../service/run.js';
import { levels, type Level } from '../service/log.js';
import { defaultSocket, readSettings } from '../settings/settings.js';
import { defaultWorkers } from '../service/tuning.js';
import { reportFailure } from './fail.js';

export interface ServeFlags {
  socket?: string;
  listen: string;
  workers?: string;
  maxRunsPerApp?: string;
  kubeconfig?: string;
  argocdNamespace?: string;
  logLevel: string;
  debounce: string;
  minInterval: string;
  waitingRefresh: string;
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
}

/** `host:port` or `:port` into its parts. */
function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new Error(`--listen ${JSON.stringify(value)}: expected [host]:port, e.g. ":9464"`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

/** A refresher timing flag in Go duration syntax (`2s`, `5m`), as Argo CD's own flags take them. */
function parseTiming(flag: string, value: string): number {
  const parsed = parseGoDuration(value);
  if ('error' in parsed || parsed.ms < 0) throw new Error(`${flag} ${JSON.stringify(value)}: expected a non-negative Go duration such as "2s" or "5m"`);
  return parsed.ms;
}

/**
 * Where Applications named without a `<ns>_` prefix live: the flag, else the pod's own namespace (POD_NAMESPACE, set by
 * deploy/ from the downward API: jetway-serve runs in Argo CD's repo-server pod, so in Argo CD's namespace), else `argocd`.
 */
function argocdNamespaceOf(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const [source, value] = flag !== undefined ? ['--argocd-namespace', flag] : env['POD_NAMESPACE'] ? ['POD_NAMESPACE', env['POD_NAMESPACE']] : ['default', 'argocd'];
  // a namespace is a DNS-1123 label; anything else would only ever patch Applications that cannot exist
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) throw new Error(`${source} ${JSON.stringify(value)}: expected a namespace name (a DNS-1123 label such as "argocd")`);
  return value;
}

/** `--log-level`: the least severe level written. */
function parseLevel(value: string): Level {
  if (!(levels as readonly string[]).includes(value)) throw new Error(`--log-level ${JSON.stringify(value)}: expected one of ${levels.join(', ')}`);
  return value as Level;
}

/** A whole-number flag from 1 to 64, or `fallback` when not given. */
function parseCount(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) throw new Error(`${flag} ${JSON.stringify(value)}: expected a whole number from 1 to 64`);
  return n;
}

/** The flags over the admin settings (JETWAY_SOCKET, JETWAY_KUBECONFIG, JETWAY_CACHE_*, JETWAY_MAX_TIMEOUT, JETWAY_WORKER_HEAP_MIB), checked and converted, so a typo fails before anything starts. */
export function settingsOf(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeSettings {
  const admin = readSettings(env, 'serve');
  const workers = parseCount('--workers', flags.workers, defaultWorkers());
  return {
    socket: flags.socket ?? admin.socket ?? defaultSocket,
    listen: parseListen(flags.listen),
    workers,
    kubeconfig: flags.kubeconfig ?? admin.kubeconfig,
    projectScope: admin.projectScope,
    cache: { dir: admin.cacheDir, maxBytes: admin.cacheMaxBytes },
    perApp: flags.maxRunsPerApp === undefined ? undefined : parseCount('--max-runs-per-app', flags.maxRunsPerApp, workers),
    maxTimeoutMs: admin.maxTimeoutMs,
    workerHeapMib: admin.workerHeapMib,
    watchLimits: { refsPerApp: admin.maxRefsPerApp, watches: admin.maxWatches },
    argocdNamespace: argocdNamespaceOf(flags.argocdNamespace, env),
    logLevel: parseLevel(flags.logLevel),
    debounceMs: parseTiming('--debounce', flags.debounce),
    minIntervalMs: parseTiming('--min-interval', flags.minInterval),
    waitingRefreshMs: parseTiming('--waiting-refresh', flags.waitingRefresh),
    leaseDurationMs: parseTiming('--lease-duration', flags.leaseDuration),
    renewDeadlineMs: parseTiming('--renew-deadline', flags.renewDeadline),
    retryPeriodMs: parseTiming('--retry-period', flags.retryPeriod),
  };
}

/** The commander definition. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the long-lived service: warm flight runs for generate, and hard refreshes when what a flight looked up changes')
    .option('--socket <path>', `unix socket generate connects to (default: JETWAY_SOCKET, else ${defaultSocket})`)
    .option('--listen <[host]:port>', 'address for /metrics, /healthz, /readyz', ':9464')
    .option('--workers <n>', 'flight worker threads kept warm (default: the CPUs available to the container, at least 2)')
    .option('--max-runs-per-app <n>', 'flight runs one Application may have on workers at once; more wait their turn (default: half the workers)')
    .option('--kubeconfig <file>', 'kubeconfig (default: JETWAY_KUBECONFIG, else KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--argocd-namespace <ns>', 'namespace of Applications whose name has no <namespace>_ prefix (default: the pod\'s namespace from POD_NAMESPACE, else "argocd")')
    .option('--log-level <level>', `least severe log level written: ${levels.join(', ')}`, 'info')
    .option('--debounce <duration>', 'wait this long after a change before hard-refreshing (Go duration)', '2s')
    .option('--min-interval <duration>', 'least time between two hard refreshes of one Application', '10s')
    .option('--waiting-refresh <duration>', 'period of the fallback hard refresh of apps whose flight waits or failed', '5m')
    .option('--lease-duration <duration>', 'leader election: how long followers wait after the lease last changed before taking it', '15s')
    .option('--renew-deadline <duration>', 'leader election: how long the leader retries renewing before it steps down', '10s')
    .option('--retry-period <duration>', 'leader election: between attempts to acquire or renew the lease', '2s')
    .action(async (flags: ServeFlags) => {
      try {
        const settings = settingsOf(flags);
        // loaded only here: the service's modules (prom-client among them) would slow every `jetway generate` start
        const { runServe } = await import('../service/run.js');
        await runServe(settings);
      } catch (error) {
        reportFailure(error, 'serve');
      }
    });
}
