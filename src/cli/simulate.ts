// `jetway simulate DIR`: run a flight again and again against an offline cluster that applies what it emits and
// moves its Jobs and Deployments along, printing each step, so an author can watch the orchestration unfold.

import { Command } from 'commander';
import { OfflineCluster } from '../cluster/offline.js';
import type { RunSpec } from '../flight/runner.js';
import { compileFlight } from '../module/compile.js';
import { loadModule } from '../module/load.js';
import { defaultTimeout, parseMatchers, parseMaxMemoryMib, parseName, parseTimeout, ParameterError } from '../params/flight-params.js';
import { clusterStateFileName, inputFileName, readFlightDir } from '../simulate/flight-dir.js';
import { simulate, type Injection } from '../simulate/loop.js';
import { observeFlight } from '../simulate/observe.js';
import { describeEnding, describeStep } from '../simulate/report.js';
import { readSetting } from '../settings/settings.js';
import { reportFailure } from './fail.js';
import { collect, parseEnv, readInput } from './render.js';

interface SimulateFlags {
  wasm?: string;
  input?: string;
  inputFile?: string;
  clusterState?: string;
  arg: string[];
  env: string[];
  release?: string;
  namespace: string;
  resourceMatcher: string[];
  maxMemoryMib: string;
  timeout: string;
  maxSteps: string;
  failJob: string[];
  create: string[];
  keepInput: boolean;
  allowEmpty: boolean;
}

/** The exit code when the simulation ran but did not settle (1 is for failures: a bad flag, a failing flight). */
const notSettledExitCode = 2;

/** Why: a runaway flight must end, but a long legitimate pipeline should be able to ask for more steps. */
function parseMaxSteps(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new ParameterError('--max-steps', value, 'a whole number from 1 to 1000');
  return Number(value);
}

/** Why: every file and flag is read and checked before the first run, so a typo never shows up halfway through. */
async function run(dir: string, flags: SimulateFlags): Promise<void> {
  const found = await readFlightDir(dir, flags.wasm);
  const namespace = parseName('--namespace', flags.namespace);
  const release = parseName('--release', flags.release ?? found.name);
  const timeoutMs = parseTimeout('--timeout', flags.timeout);
  const maxMemoryMib = parseMaxMemoryMib('--max-memory-mib', flags.maxMemoryMib);
  const resourceMatchers = parseMatchers('--resource-matcher', flags.resourceMatcher);
  const maxSteps = parseMaxSteps(flags.maxSteps);
  const failJobs = new Set(flags.failJob.map((name) => parseName('--fail-job', name)));
  const env = parseEnv(flags.env);
  const input = await readInput(flags.input === undefined && flags.inputFile === undefined ? { inputFile: found.inputFile } : flags);
  const clusterState = flags.clusterState ?? found.clusterState;
  const cluster = clusterState === undefined ? new OfflineCluster([], namespace) : await OfflineCluster.fromFile(clusterState, namespace);
  const creates: Injection[] = await Promise.all(flags.create.map(async (source) => ({ source, objects: (await OfflineCluster.fromFile(source, namespace)).all() })));
  const loaded = await loadModule(found.wasm, { baseDir: process.cwd(), repoRoot: '/', dockerConfigDir: readSetting(process.env, 'dockerConfig') });
  const { module: compiled } = await compileFlight(loaded.bytes, maxMemoryMib);
  const spec: RunSpec = { input, release, namespace, args: flags.arg, env, timeoutMs, maxMemoryMib, clusterAccess: true, resourceMatchers };

  const ending = await simulate(
    { cluster, namespace, maxSteps, failJobs, creates, observe: (current) => observeFlight(loaded, compiled, spec, current, { keepInput: flags.keepInput, allowEmpty: flags.allowEmpty }) },
    (report) => process.stdout.write(describeStep(report, namespace)),
  );
  if (ending.outcome === 'failed') {
    reportFailure(ending.error, `simulate step ${ending.steps}`);
    return;
  }
  process.stdout.write(describeEnding(ending, namespace));
  if (ending.outcome !== 'settled') process.exitCode = notSettledExitCode;
}

/** The commander definition; the run flags mirror `jetway render`. */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description('run a flight step by step against a simulated cluster that applies its stages and completes its Jobs and Deployments')
    .argument('<dir>', `flight directory: one *.wasm or *.wasm.gz, optional ${inputFileName} (the input) and ${clusterStateFileName} (the starting cluster)`)
    .option('--wasm <module>', 'module instead of the one in DIR: a path, http(s):// URL or oci:// reference')
    .option('--input <string>', `input passed to the flight on stdin (instead of DIR/${inputFileName})`)
    .option('--input-file <file>', `file passed to the flight on stdin (instead of DIR/${inputFileName})`)
    .option('--cluster-state <file>', `starting cluster: a YAML stream of objects (instead of DIR/${clusterStateFileName})`)
    .option('--arg <value>', 'argument for the flight (repeatable)', collect, [])
    .option('--env <KEY=VALUE>', 'environment variable for the flight (repeatable)', collect, [])
    .option('--release <name>', 'release name (default: the name of DIR)')
    .option('--namespace <name>', 'release namespace', 'default')
    .option('--resource-matcher <matcher>', 'also allow reading objects the release does not own: [ns/]GroupKind[:name] (repeatable)', collect, [])
    .option('--max-memory-mib <mib>', 'cap the flight memory (0 = no cap)', '0')
    .option('--timeout <duration>', 'Go duration for each run; negative for none', defaultTimeout)
    .option('--keep-input', "keep the flight's own input object in the output (plugin parameter keepInput)", false)
    .option('--allow-empty', 'allow zero resources (plugin parameter allowEmpty)', false)
    .option('--max-steps <n>', 'give up (exit 2) after this many runs', '20')
    .option('--fail-job <name>', 'this Job fails instead of completing (repeatable)', collect, [])
    .option('--create <file>', 'objects another controller would create: added when the simulation would otherwise stop (repeatable, in order)', collect, [])
    .action(async (dir: string, flags: SimulateFlags) => {
      try {
        await run(dir, flags);
      } catch (error) {
        reportFailure(error, 'simulate');
      }
    });
}
