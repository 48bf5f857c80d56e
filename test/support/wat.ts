// Compiles the hand-written WAT flights in test/flights/wat with wabt, so abuse cases stay readable sources.

import { readFile } from 'node:fs/promises';
import wabtInit from 'wabt';
import { repoPath } from './paths.js';

const wabt = await wabtInit();

/** The bytes of test/flights/wat/<name>.wat, assembled. */
export async function watModule(name: string): Promise<Uint8Array> {
  const source = await readFile(repoPath(`test/flights/wat/${name}.wat`), 'utf8');
  const parsed = wabt.parseWat(`${name}.wat`, source, { bulk_memory: true });
  try {
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}
