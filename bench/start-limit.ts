// Prints, as JSON, what a warm request cannot go below, measured in a process with the V8 flags it was started with:
// `_start` of a ready instance, and the one lookup the flight makes, sent to the API server whose kubeconfig is argv[2].

import { KubeCluster, loadKubeConfig } from '../src/cluster/kube.js';
import { ClusterError } from '../src/cluster/types.js';
import { big, startOfReadyInstance } from './flight.js';
import { idleBetweenRequestsMs, sleep, timeIt } from './report.js';

/** Long enough for V8's background optimizing compile of the whole module to finish (about 1.5 s here). */
const settleMs = 3_000;

const kubeconfig = process.argv[2];
if (!kubeconfig) throw new Error('usage: start-limit.js KUBECONFIG');
const cluster = new KubeCluster(loadKubeConfig({ kubeconfig }));
const mapping = await cluster.restMapping('batch', 'Job', 'v1');
if (!mapping) throw new Error('the API server has no batch/v1 Job');
// the flight's own lookup: Job demo-one, which does not exist, so the answer is a 404; any other answer would time
// something else, so it stops the benchmark
const lookup = () =>
  cluster.get(mapping, 'demo', 'demo-one').then(
    () => {
      throw new Error("Job demo/demo-one exists: the lookup would not be the flight's 404");
    },
    (error: unknown) => {
      if (!(error instanceof ClusterError && error.reason === 'NotFound')) throw error;
    },
  );
for (let i = 0; i < 10; i++) await lookup();
const lookupMs = await timeIt(30, lookup, idleBetweenRequestsMs);
cluster.close();

const module = await WebAssembly.compile(big);
await sleep(settleMs);
process.stdout.write(JSON.stringify({ limitMs: await startOfReadyInstance(module, 20), lookupMs }));
