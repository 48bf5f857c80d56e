// What a flight may import and must export, checked against the runtime here (the WASI shim and the host module of
// guest.ts), so a flight that links against anything else is refused with its name before it runs.

import { WASI } from '@bjorn3/browser_wasi_shim';
import type { HostCall } from './states.js';

const hostImports = new Set<string>(['k8s_lookup', 'k8s_rest_mapping'] satisfies HostCall['op'][]);
const wasiImports = new Set(Object.keys(new WASI([], [], [], { debug: false }).wasiImport));

/** Why: a flight that imports something unknown should fail with its name, not with V8's LinkError. Undefined when it links. */
export function abiMismatch(module: WebAssembly.Module): string | undefined {
  for (const entry of WebAssembly.Module.imports(module)) {
    const name = `${entry.module}.${entry.name}`;
    if (entry.module === 'wasi_snapshot_preview1' && entry.kind === 'function' && wasiImports.has(entry.name)) continue;
    if (entry.module === 'host' && entry.kind === 'function' && hostImports.has(entry.name)) continue;
    return `the flight imports ${entry.kind} ${name}, which jetway does not provide (it provides WASI preview1 and host.k8s_lookup, host.k8s_rest_mapping)`;
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    return 'the module has no _start export: a flight must be a WASI command (GOOS=wasip1 GOARCH=wasm go build)';
  }
  return undefined;
}
