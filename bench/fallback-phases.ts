// Prints, as JSON, where a generate process's time goes when `jetway serve` does not answer: the steps of generate's
// in-process path done one after the other in this new process, each timed (wall ms). argv: module file. The run has
// no cluster access, as every in-process generate (lookups need `jetway serve`), so it ends at the flight's first
// lookup, exactly where the whole `jetway generate` measured beside it ends.

const bootMs = performance.now(); // Node's own start-up, up to this module's first line
const phases: Record<string, number> = { 'Node start-up': bootMs };
let last = bootMs;
const mark = (name: string) => {
  const now = performance.now();
  phases[name] = now - last;
  last = now;
};

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: fallback-phases.js MODULE.wasm.gz');
const path = await import('node:path');
await import('../src/cli/program.js');
await import('../src/cli/generate.js'); // what `jetway generate` loads, all of it
const { loadModule } = await import('../src/module/load.js');
const { compileFlight } = await import('../src/module/compile.js');
const { runCompiled } = await import('../src/flight/runner.js');
const { FlightError } = await import('../src/wasi/errors.js');
mark("jetway's generate modules imported");
const loaded = await loadModule(path.basename(file), { baseDir: path.dirname(file), cacheDir: process.env['JETWAY_CACHE_DIR'] });
mark(`module read (${loaded.cached ? 'unzipped copy from the cache, verified by sha256' : 'unzipped, hashed'})`);
const { module } = await compileFlight(loaded.bytes, undefined);
mark('compiled (WebAssembly.compile)');
const spec = { input: new Uint8Array(), release: 'demo', namespace: 'demo', args: [], env: {}, timeoutMs: 30_000, maxMemoryMib: undefined, clusterAccess: false, resourceMatchers: [] };
await runCompiled(module, spec, undefined).then(
  () => {
    throw new Error('the flight ran to the end without cluster access: it is not the benchmark flight');
  },
  (error: unknown) => {
    if (!(error instanceof FlightError && /not been granted/.test(error.stderr))) throw error;
  },
);
mark('first run: worker start, instantiate, _start up to the first lookup');
process.stdout.write(JSON.stringify(phases));
