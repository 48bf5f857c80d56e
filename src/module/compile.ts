// Turns module bytes into a compiled WebAssembly.Module, refusing imports jetway cannot satisfy before anything runs.

import { WASI } from '@bjorn3/browser_wasi_shim';
import { ModuleError } from './errors.js';
import { capMemory } from './memory-cap.js';
import { isWasm } from './sections.js';

const hostImports = new Set(['k8s_lookup', 'k8s_rest_mapping']);
const wasiImports = new Set(Object.keys(new WASI([], [], [], { debug: false }).wasiImport));

export interface CompiledFlight {
  module: WebAssembly.Module;
}

/** Why: a flight that imports something unknown should fail with its name, not with V8's LinkError. */
function checkImports(module: WebAssembly.Module): void {
  for (const entry of WebAssembly.Module.imports(module)) {
    const name = `${entry.module}.${entry.name}`;
    if (entry.module === 'wasi_snapshot_preview1' && entry.kind === 'function' && wasiImports.has(entry.name)) continue;
    if (entry.module === 'host' && entry.kind === 'function' && hostImports.has(entry.name)) continue;
    throw new ModuleError('invalid', `the flight imports ${entry.kind} ${name}, which jetway does not provide (it provides WASI preview1 and host.k8s_lookup, host.k8s_rest_mapping)`);
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new ModuleError('invalid', 'the module has no _start export: a flight must be a WASI command (GOOS=wasip1 GOARCH=wasm go build)');
  }
}

/**
 * Compiles a flight, with its memory capped when `maxMemoryMib` is set. It does not hash the bytes: a caller that needs
 * the digest has it from loading them, and hashing a 17 MB module again cost a generate process ~30 ms.
 */
export async function compileFlight(bytes: Uint8Array, maxMemoryMib: number | undefined): Promise<CompiledFlight> {
  if (!isWasm(bytes)) throw new ModuleError('invalid', 'the module is not WebAssembly (no \\0asm header): check the wasm parameter points at a .wasm or .wasm.gz file');
  const capped = maxMemoryMib === undefined ? bytes : capMemory(bytes, maxMemoryMib);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new ModuleError('invalid', `the module does not compile: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  checkImports(module);
  return { module };
}
