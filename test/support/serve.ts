// `jetway serve` as a real child process against the fake API server: what the process tests, the scenarios and the benchmark run.

import { execa, type ResultPromise } from 'execa';
import yaml from 'js-yaml';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { KubeObject } from '../../src/cluster/types.js';
import type { FakeApiServer } from './apiserver.js';
import { repoPath } from './paths.js';

export interface ServeProcess {
  process: ResultPromise<{ reject: false; buffer: false }>;
  socket: string;
  /** http://127.0.0.1:<port> serving /metrics, /healthz, /readyz. */
  opsUrl: string;
  /** Every JSON log line so far. */
  logs: Array<Record<string, unknown>>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | undefined>;
}

// Why: callers wait for the one log line that says the socket and the ops port listen, and read the port from it.
// `env` adds to the process environment (e.g. POD_NAMESPACE, as the deploy's downward API sets it); the JETWAY_KUBECONFIG
// and JETWAY_SOCKET it sets replace the matching flags.
export async function startServe(
  api: FakeApiServer,
  flags: string[] = [],
  socketPath = join(mkdtempSync(join(tmpdir(), 'jetway-serve-')), 'jetway.sock'),
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  if (!api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'runrecords.jetway.dev')) installRunRecords(api);
  const socket = env['JETWAY_SOCKET'] ?? socketPath;
  const connection = [...(env['JETWAY_KUBECONFIG'] ? [] : ['--kubeconfig', api.kubeconfig()]), ...(env['JETWAY_SOCKET'] ? [] : ['--socket', socket])];
  const child = execa(process.execPath, [repoPath('dist/src/cli/main.js'), 'serve', ...connection, '--listen', '127.0.0.1:0', ...flags], {
    reject: false,
    buffer: false,
    // each process is its own replica: its Lease identity (the pod name in Kubernetes) comes from its socket's directory;
    // the flights' memory budget is not derived from whatever memory limit the test machine's cgroup has (64 GiB: runs
    // without maxMemoryMib, 4 GiB each, run side by side) unless the test sets one
    env: { POD_NAME: `jetway-serve-${basename(dirname(socket))}`, JETWAY_SERVE_MEMORY_MIB: '65536', ...env, KUBECONFIG: '/nonexistent' },
  });
  const logs: Array<Record<string, unknown>> = [];
  let pending = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const entry = (() => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return { level: 'raw', msg: line };
          }
        })();
        logs.push(entry);
        if (entry['msg'] === 'jetway serve listening') resolve(entry['port'] as number);
      }
    });
    void child.then((result) => reject(new Error(`jetway serve exited (${result.exitCode}) before listening:\n${[...logs.map((l) => String(l['msg'])), pending].join('\n')}`)));
  });
  return {
    process: child,
    socket,
    opsUrl: `http://127.0.0.1:${port}`,
    logs,
    async stop() {
      child.kill('SIGTERM');
      return (await child).exitCode;
    },
  };
}

/** One sample of a Prometheus metric from /metrics; `labels` like `outcome="ok"`. NaN when absent. */
export async function metric(opsUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const selector = labels ? `${name}\\{${labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\}` : name;
  return Number(new RegExp(`^${selector} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** Installs the RunRecord CRD jetway ships (deploy/runrecord-crd.yaml), as the install does, so serve can store records. */
export function installRunRecords(api: FakeApiServer): void {
  api.put(yaml.load(readFileSync(repoPath('deploy/runrecord-crd.yaml'), 'utf8')) as KubeObject);
}
