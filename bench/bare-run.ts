// The benchmark's baseline: a bare script that only compiles, instantiates and runs a module, with a stub host.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ConsoleStdout, File, OpenFile, WASI } from '@bjorn3/browser_wasi_shim';

const path = process.argv[2]!;
const bytes = gunzipSync(readFileSync(path));
const wasi = new WASI(['demo'], ['YOKE_RELEASE=demo', 'YOKE_NAMESPACE=demo', 'NAMESPACE=demo', 'YOKE_VERSION=v0.20.27'], [
  new OpenFile(new File(new Uint8Array())),
  new ConsoleStdout((chunk) => process.stdout.write(chunk)),
  new ConsoleStdout((chunk) => process.stderr.write(chunk)),
], { debug: false });
let instance: WebAssembly.Instance;
// Why: every lookup answers NotFound, as an empty offline cluster does for jetway.
const notFound = (statePtr: number): bigint => {
  const message = new TextEncoder().encode('not found');
  const packed = (instance.exports['malloc'] as (n: number) => bigint)(message.length);
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  new Uint8Array(memory.buffer, Number(packed >> 32n), message.length).set(message);
  new DataView(memory.buffer).setUint32(statePtr, 3, true);
  return packed;
};
instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
  wasi_snapshot_preview1: wasi.wasiImport,
  host: { k8s_lookup: notFound, k8s_rest_mapping: notFound },
});
process.exitCode = wasi.start(instance as Parameters<typeof wasi.start>[0]);
