// `jetway render`: run a flight locally against a kubeconfig or an offline cluster file and print what generate would emit.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { LazyKube } from '../cluster/connect.js';
import { OfflineCluster } from '../cluster/offline.js';
import type { Cluster, KubeObject } from '../cluster/types.js';
import { localRunner, renderFlight } from '../flight/runner.js';
import { loadModule } from '../module/load.js';
import { defaultTimeout, parseMatchers, parseMaxMemoryMib, parseName, parseTimeout, ParameterError } from '../params/flight-params.js';
import { readSetting } from '../settings/settings.js';
import { dashboardHealth, describeHealth } from '../stages/flight-status.js';
import { formatManifests, type OutputFormat } from '../stages/format.js';
import { toManifests } from '../stages/manifests.js';
import { reportFailure } from './fail.js';

interface RenderFlags {
  wasm: string;
  input?: string;
  inputFile?: string;
  arg: string[];
  env: string[];
  release?: string;
  namespace?: string;
  application?: string;
  clusterAccess: boolean;
  resourceMatcher: string[];
  maxMemoryMib: string;
  timeout: string;
  kubeconfig?: string;
  context?: string;
  clusterState?: string;
  output: OutputFormat;
  keepInput: boolean;
  allowEmpty: boolean;
}

export const collect = (value: string, previous: string[]) => [...previous, value];

/** `KEY=VALUE` pairs into an env map, refusing malformed ones. */
export function parseEnv(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new ParameterError('--env', pair, 'KEY=VALUE');
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/** The input bytes: a string, a file, or nothing (an empty stdin, as yoke gives). */
export async function readInput(flags: Pick<RenderFlags, 'input' | 'inputFile'>): Promise<Uint8Array> {
  if (flags.input !== undefined && flags.inputFile !== undefined) throw new ParameterError('--input', flags.input, 'either --input or --input-file, not both');
  if (flags.inputFile !== undefined) {
    return readFile(flags.inputFile).catch((e: unknown) => {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      throw new Error(`cannot read --input-file ${flags.inputFile}: ${why}`, { cause: e });
    });
  }
  return new TextEncoder().encode(flags.input ?? '');
}

/** Chooses the cluster: an offline file (which implies access), the kubeconfig when access is granted, else none. */
async function chooseCluster(flags: RenderFlags, namespace: string, kube: LazyKube): Promise<Cluster | undefined> {
  if (flags.clusterState) return OfflineCluster.fromFile(flags.clusterState, namespace);
  if (!flags.clusterAccess) return undefined;
  return kube.get();
}

/**
 * `--application FILE`: an Argo CD Application manifest gives the release (its name), the namespace and the kubeconfig
 * context (named like its destination cluster), as Argo CD's generate would see them; explicit flags still win.
 */
async function fromApplication(flags: RenderFlags): Promise<{ release?: string; namespace?: string; context?: string }> {
  if (flags.application === undefined) return {};
  const text = await readFile(flags.application, 'utf8').catch((e: unknown) => {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new Error(`cannot read --application ${flags.application}: ${why}`, { cause: e });
  });
  const [{ default: yaml }, { destinationOf, applicationLabel }, { contextForDestination }, { loadKubeConfig }] = await Promise.all([
    import('js-yaml'),
    import('../cluster/destinations/application.js'),
    import('../cluster/destinations/context.js'),
    import('../cluster/kube.js'),
  ]);
  const app = yaml.load(text) as KubeObject | undefined;
  if (typeof app !== 'object' || app === null || app.kind !== 'Application' || !String(app.apiVersion).startsWith('argoproj.io/')) {
    throw new Error(`--application ${flags.application}: expected an Argo CD Application (apiVersion argoproj.io/v1alpha1, kind Application)`);
  }
  const destination = destinationOf(app);
  const context =
    flags.context ?? (flags.clusterAccess && !flags.clusterState ? contextForDestination(loadKubeConfig({ kubeconfig: flags.kubeconfig }), destination, applicationLabel(app)) : undefined);
  return { release: app.metadata?.name, namespace: destination.namespace || undefined, ...(context === undefined ? {} : { context }) };
}

async function render(flags: RenderFlags): Promise<void> {
  const fromApp = await fromApplication(flags);
  const namespace = parseName('--namespace', flags.namespace ?? fromApp.namespace ?? 'default');
  const release = parseName('--release', flags.release ?? fromApp.release ?? basename(flags.wasm).replace(/(\.wasm)?(\.gz)?$/, ''));
  const timeoutMs = parseTimeout('--timeout', flags.timeout);
  const maxMemoryMib = parseMaxMemoryMib('--max-memory-mib', flags.maxMemoryMib);
  const resourceMatchers = parseMatchers('--resource-matcher', flags.resourceMatcher);
  const env = parseEnv(flags.env);
  const input = await readInput(flags);
  const loaded = await loadModule(flags.wasm, { baseDir: process.cwd(), repoRoot: '/', dockerConfigDir: readSetting(process.env, 'dockerConfig') });
  const kube = new LazyKube({ kubeconfig: flags.kubeconfig, context: flags.context ?? fromApp.context });
  try {
    const cluster = await chooseCluster(flags, namespace, kube);
    const spec = { input, release, namespace, args: flags.arg, env, timeoutMs, maxMemoryMib, clusterAccess: cluster !== undefined, resourceMatchers };
    const result = await renderFlight(
      loaded,
      spec,
      localRunner(async () => cluster),
    );
    const lookedUpMissing = result.refs.some((r) => r.access === 'missing');
    const manifests = toManifests(result.stages, { release, namespace, input, lookedUpMissing, keepInput: flags.keepInput, allowEmpty: flags.allowEmpty });
    process.stdout.write(formatManifests(manifests.objects, flags.output));
    if (manifests.statusMessage !== undefined) process.stderr.write(`jetway: flight status: ${manifests.statusMessage}\n`);
    process.stderr.write(`jetway: ${describeHealth(dashboardHealth(manifests.signal))}\n`);
  } finally {
    await kube.close();
  }
}

/** The commander definition; flags mirror the plugin parameters. */
export function renderCommand(): Command {
  return new Command('render')
    .description('run a flight locally and print the manifests it emits')
    .requiredOption('--wasm <module>', 'module: a path (.wasm or .wasm.gz), http(s):// URL or oci:// reference')
    .option('--input <string>', 'input passed to the flight on stdin')
    .option('--input-file <file>', 'file passed to the flight on stdin')
    .option('--arg <value>', 'argument for the flight (repeatable)', collect, [])
    .option('--env <KEY=VALUE>', 'environment variable for the flight (repeatable)', collect, [])
    .option('--release <name>', 'release name (default: the module file name)')
    .option('--namespace <name>', 'release namespace (default: the Application\'s destination namespace, else "default")')
    .option(
      '--application <file>',
      "an Argo CD Application manifest: release = its name, namespace = its destination's, lookups through the kubeconfig context named like its destination cluster (spec.destination.name, else server)",
    )
    .option('--cluster-access', 'let the flight look up cluster objects', false)
    .option('--resource-matcher <matcher>', 'also allow reading objects the release does not own: [ns/]GroupKind[:name] (repeatable)', collect, [])
    .option('--max-memory-mib <mib>', 'cap the flight memory (0 = no cap)', '0')
    .option('--timeout <duration>', 'Go duration; negative for none', defaultTimeout)
    .option('--keep-input', "keep the flight's own input object in the output (plugin parameter keepInput)", false)
    .option('--allow-empty', 'allow zero resources (plugin parameter allowEmpty)', false)
    .option('--kubeconfig <file>', 'kubeconfig for lookups (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option('--cluster-state <file>', 'answer lookups from a YAML stream of objects instead of a cluster (implies --cluster-access)')
    .addOption(new Option('--output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (flags: RenderFlags) => {
      try {
        await render(flags);
      } catch (error) {
        reportFailure(error, 'render');
      }
    });
}
