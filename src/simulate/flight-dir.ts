// The `jetway simulate DIR` convention: a flight directory holds one module, and optionally input.json and cluster-state.yaml.

import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

/** What a flight directory provides; the command's flags override each part. */
export interface FlightDir {
  /** The module reference for loadModule: the directory's single `*.wasm`/`*.wasm.gz`, or the one given. */
  wasm: string;
  /** `DIR/input.json` when it exists. */
  inputFile: string | undefined;
  /** `DIR/cluster-state.yaml` when it exists. */
  clusterState: string | undefined;
  /** The directory's own name: the default release. */
  name: string;
}

export const inputFileName = 'input.json';
export const clusterStateFileName = 'cluster-state.yaml';

/** Why: an author keeps one built module beside the flight's source, so naming the directory is enough. */
async function findModule(dir: string): Promise<string> {
  const modules = (await readdir(dir)).filter((f) => /\.wasm(\.gz)?$/.test(f)).sort();
  if (modules.length === 1) return join(dir, modules[0]!);
  if (modules.length === 0) throw new Error(`no flight module in ${dir}: expected one *.wasm or *.wasm.gz file there (or --wasm)`);
  throw new Error(`${modules.length} flight modules in ${dir} (${modules.join(', ')}): choose one with --wasm`);
}

/** Why: the optional files are used when present and silently skipped when not, so a bare module directory works. */
async function optionalFile(dir: string, name: string): Promise<string | undefined> {
  const path = join(dir, name);
  return (await stat(path).catch(() => undefined))?.isFile() ? path : undefined;
}

/** Why: one place reads the convention, so the command and its documentation cannot drift apart. */
export async function readFlightDir(dir: string, wasm: string | undefined): Promise<FlightDir> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new Error(`${dir} is not a directory: simulate takes a flight directory (one *.wasm or *.wasm.gz, optional ${inputFileName} and ${clusterStateFileName})`);
  }
  return {
    wasm: wasm ?? (await findModule(dir)),
    inputFile: await optionalFile(dir, inputFileName),
    clusterState: await optionalFile(dir, clusterStateFileName),
    name: basename(resolve(dir)),
  };
}
