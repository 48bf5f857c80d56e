// Issue 13's replica scenario, shared by test/cli/replicas.test.ts (100 apps, in the suite) and the benchmark (1,000 apps,
// `npm run bench -- replicas`): three `jetway serve` processes over recorded apps, one leader, the leader killed while a
// pipeline step lands, a rolling restart of all three. It returns what happened; each caller checks it (the test with
// assertions, the bench by failing the run) and the bench reports the figures.

import { readFileSync } from 'node:fs';
import type { KubeHttp } from '../../src/cluster/http.js';
import { RecordStore } from '../../src/refresher/record-store.js';
import { application, hardRefreshes, jobs, lookedUp, run, until } from '../refresher/support.js';
import type { FakeApiServer } from './apiserver.js';
import { startServe, type ServeProcess } from './serve.js';

export interface ReplicaScenarioOptions {
  api: FakeApiServer;
  http: KubeHttp;
  apps: number;
  /** How long each wait may take before the scenario fails (scales with `apps` on a loaded machine). */
  timeoutMs: number;
}

export interface ReplicaScenarioResult {
  /** Replicas that said they lead, once the three had settled. */
  leadersAtStart: number;
  /** Watches the API server saw open then: the leader's RunRecords watch plus one per (resource, namespace) looked up. */
  watchesAtStart: number;
  /** Hard refreshes before anything changed (issue 13: no blanket start-up refresh). */
  refreshesAtStart: number;
  /** Replica process start → its /readyz answers 200, for the three replicas the rolling restart started. */
  restartReadyMs: number[];
  /** The leader killed → the first hard refresh by the new leader (of the app whose Job completed in between). */
  failoverMs: number;
  /** The leader killed → another replica says it leads. */
  takeoverMs: number;
  leaseDurationMs: number;
  /** Apps the new leader refreshed after the failover: the one whose Job completed while nobody watched, then the next step's. */
  refreshedAfterFailover: string[];
  /** Apps refreshed during the rolling restart, with how often; only the app whose Job changed meanwhile should appear, once. */
  refreshedDuringRestart: Map<string, number>;
  /** The rolling restart's start → the last old replica is gone and one new replica leads with its watches open. */
  restartMs: number;
  /** Replicas that said they lead, and watches open, after the restart. */
  leadersAfterRestart: number;
  watchesAfterRestart: number;
  /** /readyz answers other than 200 from any replica, at any time (connection errors of a stopping process excluded). */
  readyFailures: number;
  /** VmRSS of the leader and of one follower, MiB, with every app loaded (after the restart). */
  leaderRssMib: number;
  followerRssMib: number;
}

const leaseDurationMs = 3_000;
const leaseFlags = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms', '--debounce', '100ms'];

/** Whether a replica's log says it leads now. */
export function leads(s: ServeProcess): boolean {
  const count = (re: RegExp) => s.logs.filter((l) => re.test(String(l['msg']))).length;
  return count(/^became the leader/) - count(/^stopped leading/) > 0;
}

/** The resident set of a process, from the kernel: what a memory limit is measured against. */
export function residentMib(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
}

/** Runs the scenario; the replicas it started are killed whatever happens. */
export async function runReplicaScenario(o: ReplicaScenarioOptions): Promise<ReplicaScenarioResult> {
  const { api, http, apps, timeoutMs } = o;
  const store = new RecordStore(http, 'argocd');
  for (let i = 0; i < apps; i++) {
    api.put(application('argocd', `app-${i}`));
    api.put({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `job-${i}`, namespace: 'default' }, spec: { template: {} } });
    await store.save(run(`app-${i}`, [await lookedUp(http, jobs, 'default', `job-${i}`)], { waiting: true }));
  }
  // Why: what Argo CD does after a hard refresh, as far as jetway sees it: the app is generated again and its record
  // saved with what the flight looked up now, so no later leader finds it out of date.
  const regenerate = async (i: number): Promise<void> => {
    await store.save(run(`app-${i}`, [await lookedUp(http, jobs, 'default', `job-${i}`)]));
  };
  const replicas: ServeProcess[] = [];
  let readyMs: number[] = [];
  let readyFailures = 0;
  const probe = setInterval(() => {
    for (const s of replicas)
      void fetch(`${s.opsUrl}/readyz`).then(
        (res) => {
          if (res.status !== 200) readyFailures++;
        },
        () => {},
      );
  }, 100);
  // Why: a replica counts as started once Kubernetes would add it to the Service: its /readyz answers 200.
  const start = async (): Promise<ServeProcess> => {
    const started = performance.now();
    const s = await startServe(api, leaseFlags);
    replicas.push(s);
    for (;;) {
      const ok = await fetch(`${s.opsUrl}/readyz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > timeoutMs) throw new Error('a replica never became ready');
      await new Promise((r) => setTimeout(r, 10));
    }
    readyMs.push(performance.now() - started);
    return s;
  };
  const settled = () => replicas.filter(leads).length === 1 && api.openWatches === 2;
  const patched = (from: number) => api.requests.slice(from).filter((q) => q.method === 'PATCH' && q.path.includes('/applications/'));
  try {
    for (let i = 0; i < 3; i++) await start();
    await until('one replica leads and watches RunRecords and Jobs', settled, timeoutMs);
    const leadersAtStart = replicas.filter(leads).length;
    const watchesAtStart = api.openWatches;
    const refreshesAtStart = patched(0).length;

    // The leader is killed while a pipeline step lands: job-1 completes while nobody watches; the new leader finds it
    // by comparing the records with one LIST, and refreshes app-1; the next step (job-2) it sees through its own watch.
    const leader = replicas.find(leads)!;
    const mark = api.requests.length;
    const killedAt = performance.now();
    leader.process.kill('SIGKILL');
    await leader.process;
    replicas.splice(replicas.indexOf(leader), 1);
    api.setStatus('batch/v1', 'Job', 'default', 'job-1', { succeeded: 1 });
    await until('another replica leads', () => replicas.some(leads), timeoutMs);
    const takeoverMs = performance.now() - killedAt;
    await until('the new leader refreshes app-1', () => hardRefreshes(api, 'argocd', 'app-1').length > 0, timeoutMs);
    const failoverMs = performance.now() - killedAt;
    await regenerate(1);
    await until('the new leader watches', settled, timeoutMs);
    api.setStatus('batch/v1', 'Job', 'default', 'job-2', { succeeded: 1 });
    await until('the new leader refreshes app-2', () => hardRefreshes(api, 'argocd', 'app-2').length > 0, timeoutMs);
    await regenerate(2);
    const refreshedAfterFailover = [...new Set(patched(mark).map((q) => q.path.split('/').at(-1)!))];
    await start(); // the Deployment replaces the killed pod: three replicas again

    // Rolling restart of all three, as a Deployment of three rolls by default (maxSurge 1, maxUnavailable 0): a new
    // replica starts and is ready, then an old one gets SIGTERM. job-7 completes during it; nothing else may be refreshed.
    const restartMark = api.requests.length;
    const restartedAt = performance.now();
    readyMs = [];
    for (const [i, s] of [...replicas].entries()) {
      await start();
      if (i === 0) {
        api.setStatus('batch/v1', 'Job', 'default', 'job-7', { succeeded: 1 });
        await until('the changed app is refreshed', () => hardRefreshes(api, 'argocd', 'app-7').length > 0, timeoutMs);
        await regenerate(7);
      }
      await s.stop();
      replicas.splice(replicas.indexOf(s), 1);
    }
    await until('one new replica leads and watches', settled, timeoutMs);
    const restartMs = performance.now() - restartedAt;
    const leadersAfterRestart = replicas.filter(leads).length;
    const watchesAfterRestart = api.openWatches;
    const refreshedDuringRestart = new Map<string, number>();
    for (const q of patched(restartMark)) {
      const app = q.path.split('/').at(-1)!;
      refreshedDuringRestart.set(app, (refreshedDuringRestart.get(app) ?? 0) + 1);
    }
    const newLeader = replicas.find(leads)!;
    const follower = replicas.find((s) => s !== newLeader)!;
    return {
      leadersAtStart,
      watchesAtStart,
      refreshesAtStart,
      restartReadyMs: readyMs,
      failoverMs,
      takeoverMs,
      leaseDurationMs,
      refreshedAfterFailover,
      refreshedDuringRestart,
      restartMs,
      leadersAfterRestart,
      watchesAfterRestart,
      readyFailures,
      leaderRssMib: residentMib(newLeader.process.pid!),
      followerRssMib: residentMib(follower.process.pid!),
    };
  } finally {
    clearInterval(probe);
    for (const s of replicas) s.process.kill('SIGKILL');
  }
}
