// Prints, as JSON, where a generate process's time goes when `jetway serve` does not answer: the steps of generate's
// in-process path done one after the other in this new process, each timed (wall ms). argv: module file, kubeconfig.

const bootMs = performance.now(); // Node's own start-up, up to this module's first line
const phases: Record<string, number> = { 'Node start-up': bootMs };
let last = bootMs;
const mark = (name: string) => {
  const now = performance.now();
  phases[name] = now - last;
  last = now;
};

const [file, kubeconfig] = process.argv.slice(2);
if (!file || !kubeconfig) throw new Error('usage: fallback-phases.js MODULE.wasm.gz KUBECONFIG');
const { dirname, basename } = await import('node:path');
const { loadModule } = await import('../src/module/load.js');
const { compileFlight } = await import('../src/module/compile.js');
const { runCompiled } = await import('../src/flight/render.js');
const { parseStages } = await import('../src/stages/parse.js');
const { toManifests } = await import('../src/argocd/output.js');
const { formatManifests } = await import('../src/stages/format.js');
const { LazyKube } = await import('../src/cluster/connect.js');
mark("jetway's generate modules imported");
const loaded = await loadModule(basename(file), { baseDir: dirname(file), cacheDir: process.env['JETWAY_CACHE_DIR'] });
mark(`module read (${loaded.cached ? 'unzipped copy from the cache, verified' : 'unzipped'}) and hashed`);
const { module } = await compileFlight(loaded.bytes, undefined);
mark('compiled (WebAssembly.compile)');
const kube = new LazyKube({ kubeconfig });
const cluster = await kube.get();
mark('client-node imported, kubeconfig loaded');
const spec = { input: new Uint8Array(), release: 'demo', namespace: 'demo', args: [], env: {}, timeoutMs: 30_000, maxMemoryMib: undefined, clusterAccess: true, resourceMatchers: [] };
const outcome = await runCompiled(module, spec, cluster);
mark('first run: worker, instantiate, _start, one lookup over HTTPS');
formatManifests(toManifests(parseStages(outcome.stdout, outcome.stderr), { release: 'demo', namespace: 'demo', input: spec.input, lookedUpMissing: outcome.refs.some((r) => r.access === 'missing') }).objects, 'yaml');
mark('output parsed and formatted');
await kube.close();
process.stdout.write(JSON.stringify(phases));
