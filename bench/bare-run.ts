// The benchmark's baseline: a bare script that only compiles, instantiates and runs a module, with a stub host.
// argv: module file, then `--no-cluster-access` to answer lookups as a run without cluster access (FeatureNotGranted).

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ConsoleStdout, File, OpenFile, WASI } from '@bjorn3/browser_wasi_shim';

const path = process.argv[2]!;
// yoke's host states (../shared/yoke-compat.md): 1 FeatureNotGranted, 3 NotFound
const state = process.argv[3] === '--no-cluster-access' ? 1 : 3;
const bytes = gunzipSync(readFileSync(path));
const wasi = new WASI(
  ['demo'],
  ['YOKE_RELEASE=demo', 'YOKE_NAMESPACE=demo', 'NAMESPACE=demo', 'YOKE_VERSION=v0.20.27'],
  [new OpenFile(new File(new Uint8Array())), new ConsoleStdout((chunk) => process.stdout.write(chunk)), new ConsoleStdout((chunk) => process.stderr.write(chunk))],
  { debug: false },
);
// Why: every lookup answers NotFound, as an empty offline cluster does for jetway (or FeatureNotGranted, as above).
const answer = (statePtr: number): bigint => {
  const message = new TextEncoder().encode(state === 1 ? 'cluster access is not enabled for this run' : 'not found');
  const packed = (instance.exports['malloc'] as (n: number) => bigint)(message.length);
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  new Uint8Array(memory.buffer, Number(packed >> 32n), message.length).set(message);
  new DataView(memory.buffer).setUint32(statePtr, state, true);
  return packed;
};
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
  wasi_snapshot_preview1: wasi.wasiImport,
  host: { k8s_lookup: answer, k8s_rest_mapping: answer },
});
process.exitCode = wasi.start(instance as Parameters<typeof wasi.start>[0]);
