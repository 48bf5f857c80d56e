// Prints the physical limit (`_start` of a ready instance) under the V8 flags this process was started with, as JSON.

import { big, startOfReadyInstance } from './flight.js';
import { sleep } from './report.js';

/** Long enough for V8's background optimizing compile of the whole module to finish (about 1.5 s here). */
const settleMs = 3_000;

const module = await WebAssembly.compile(big);
await sleep(settleMs);
process.stdout.write(JSON.stringify({ limitMs: await startOfReadyInstance(module, 20) }));
