// `jetway serve`: the long-lived service beside the plugin: warm runs over a unix socket, watch-driven hard refreshes, metrics.

import { Command } from 'commander';
import { parseGoDuration } from '../params/duration.js';
import type { ServeSettings } from '../service/run.js';
import { reportFailure } from './fail.js';

interface ServeFlags {
  socket: string;
  listen: string;
  workers: string;
  kubeconfig?: string;
  argocdNamespace: string;
  debounce: string;
  minInterval: string;
  waitingRefresh: string;
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

/** The flags, checked and converted, so a typo fails before anything starts. */
function settingsOf(flags: ServeFlags): ServeSettings {
  const workers = Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new Error(`--workers ${flags.workers}: expected a whole number from 1 to 64`);
  return {
    socket: flags.socket,
    listen: parseListen(flags.listen),
    workers,
    kubeconfig: flags.kubeconfig,
    argocdNamespace: flags.argocdNamespace,
    debounceMs: parseTiming('--debounce', flags.debounce),
    minIntervalMs: parseTiming('--min-interval', flags.minInterval),
    waitingRefreshMs: parseTiming('--waiting-refresh', flags.waitingRefresh),
  };
}

/** The commander definition. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the long-lived service: warm flight runs for generate, and hard refreshes when what a flight looked up changes')
    .option('--socket <path>', 'unix socket generate connects to', process.env['JETWAY_SOCKET'] ?? '/var/run/jetway/jetway.sock')
    .option('--listen <[host]:port>', 'address for /metrics, /healthz, /readyz', ':9464')
    .option('--workers <n>', 'flight worker threads kept warm', '2')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--argocd-namespace <ns>', 'namespace of Applications whose name has no <namespace>_ prefix', 'argocd')
    .option('--debounce <duration>', 'wait this long after a change before hard-refreshing (Go duration)', '2s')
    .option('--min-interval <duration>', 'least time between two hard refreshes of one Application', '10s')
    .option('--waiting-refresh <duration>', 'period of the fallback hard refresh of apps whose flight waits or failed', '5m')
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
