// What Argo CD's cmp-server hands `generate` (../shared/argocd-contract.md): the app, its destination, the user env and the parameters.

import { resolve } from 'node:path';
import { splitAppName } from '../cluster/names.js';

/** One entry of ARGOCD_APP_PARAMETERS. */
export interface CmpParameter {
  name: string;
  string?: string;
  array?: string[];
  map?: Record<string, string>;
}

export interface ArgoEnvironment {
  /** ARGOCD_APP_NAME as given: `<name>` or `<appNamespace>_<name>`; yokecd uses it as the release. */
  appName: string;
  /** The Application's own namespace when Argo CD encoded it in the name, else undefined (the Argo CD namespace). */
  applicationNamespace: string | undefined;
  /** The Application's name without the namespace prefix. */
  applicationName: string;
  /** ARGOCD_APP_NAMESPACE: the destination namespace, the release namespace. */
  destinationNamespace: string;
  revision: string;
  /** ARGOCD_ENV_X=v becomes X=v for the flight. */
  flightEnv: Record<string, string>;
  /** null when the plugin block has no parameters; undefined when there is no plugin block. */
  parameters: CmpParameter[] | null | undefined;
  /** The root of the repository copy, which module and input paths may not leave. */
  repoRoot: string;
  /** KUBE_API_VERSIONS: the destination cluster's `group/version` and `group/version/Kind` list. */
  apiVersions: string[];
}

/** Parses ARGOCD_APP_PARAMETERS, refusing anything but Argo CD's array of named entries. */
function parseParameters(raw: string | undefined): CmpParameter[] | null | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`ARGOCD_APP_PARAMETERS is not JSON: ${raw.slice(0, 200)}`);
  }
  if (value === null) return null;
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'object' && p !== null && typeof (p as CmpParameter).name === 'string')) {
    throw new Error('ARGOCD_APP_PARAMETERS must be a JSON array of {name, string|array|map} entries');
  }
  return value as CmpParameter[];
}

/** The repository root: the working directory minus the app's source path. */
export function repoRootOf(cwd: string, sourcePath: string): string {
  const clean = sourcePath.replace(/^\/+|\/+$/g, '');
  if (clean === '' || clean === '.') return cwd;
  const root = resolve(cwd, ...clean.split('/').map(() => '..'));
  return resolve(root, clean) === resolve(cwd) ? root : cwd;
}

/** Reads the environment of one generate call; missing required variables are named. */
export function readArgoEnvironment(env: NodeJS.ProcessEnv, cwd: string): ArgoEnvironment {
  const appName = env['ARGOCD_APP_NAME'];
  if (!appName) throw new Error('ARGOCD_APP_NAME is not set: jetway generate must be run by Argo CD (use jetway render to run a flight by hand)');
  const destinationNamespace = env['ARGOCD_APP_NAMESPACE'] ?? '';
  if (destinationNamespace === '') {
    throw new Error(`Application ${appName} has no destination namespace (ARGOCD_APP_NAMESPACE is empty): set spec.destination.namespace`);
  }
  const split = splitAppName(appName);
  const flightEnv = Object.fromEntries(
    Object.entries(env)
      .filter(([k, v]) => k.startsWith('ARGOCD_ENV_') && v !== undefined)
      .map(([k, v]) => [k.slice('ARGOCD_ENV_'.length), v as string]),
  );
  return {
    appName,
    applicationNamespace: split.namespace,
    applicationName: split.name,
    destinationNamespace,
    revision: env['ARGOCD_APP_REVISION'] ?? '',
    flightEnv,
    parameters: parseParameters(env['ARGOCD_APP_PARAMETERS']),
    repoRoot: repoRootOf(cwd, env['ARGOCD_APP_SOURCE_PATH'] ?? ''),
    apiVersions: (env['KUBE_API_VERSIONS'] ?? '').split(',').filter((v) => v !== ''),
  };
}
