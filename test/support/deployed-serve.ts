// What the shipped deploy (deploy/repo-server-patch.yaml) gives the jetway-serve container, for the rigs that start a
// real `jetway serve` as deployed: its environment from the downward API (the pod's namespace) resolved for one pod,
// and the flags its args pass. A scenario then runs on the deploy's defaults rather than on a copy of them.

import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { repoPath } from './paths.js';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
}

// Why: one reading of the patch for both helpers, failing loudly if the container moves.
function serveContainer(): Container {
  const patch = yaml.load(readFileSync(repoPath('deploy/repo-server-patch.yaml'), 'utf8')) as { spec: { template: { spec: { containers: Container[] } } } };
  const container = patch.spec.template.spec.containers.find((c) => c.name === 'jetway-serve');
  if (!container) throw new Error('deploy/repo-server-patch.yaml has no jetway-serve container');
  return container;
}

/** The environment the deploy fills from the downward API, for a pod in `namespace`. */
export function deployedDownwardEnv(namespace: string): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.namespace': namespace };
  const env: Record<string, string> = {};
  for (const v of serveContainer().env ?? []) {
    const path = v.valueFrom?.fieldRef?.fieldPath;
    if (path === undefined) continue;
    const value = fields[path];
    if (value === undefined) throw new Error(`deploy/repo-server-patch.yaml: jetway-serve's ${v.name} comes from ${path}, which this rig does not resolve`);
    env[v.name] = value;
  }
  return env;
}

/** The flags the deploy passes to `jetway serve` (after `serve`). */
export function deployedServeFlags(): string[] {
  const argv = [...(serveContainer().command ?? []), ...(serveContainer().args ?? [])];
  return argv.slice(argv.indexOf('serve') + 1);
}
