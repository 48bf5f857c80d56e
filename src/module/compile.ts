// Turns module bytes into a compiled WebAssembly.Module, refusing (with wasi/imports.ts) a flight jetway cannot link before anything runs.

import { abiMismatch } from '../wasi/imports.js';
import { ModuleError } from './errors.js';
import { capMemory } from './memory-cap.js';
import { isWasm } from './sections.js';

export interface CompiledFlight {
  module: WebAssembly.Module;
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
  const mismatch = abiMismatch(module);
  if (mismatch !== undefined) throw new ModuleError('invalid', mismatch);
  return { module };
}
