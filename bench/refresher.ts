// Issue 5's refresher figures, from a real `jetway serve` process: change-to-patch latency, and memory and watches with
// 1,000 apps. Replicas, failover and restarts (issue 13) are bench/replicas.ts.

import type { KubeHttp } from '../src/cluster/http.js';
import type { LookupRef } from '../src/host/refs.js';
import { postRecord } from '../src/service/client.js';
import { startApiServer } from '../test/support/apiserver.js';
import { application, configMaps, httpFor, jobs, lookedUp, run, secrets } from '../test/refresher/support.js';
import { residentMib } from '../test/support/replicas.js';
import { metric, startServe } from '../test/support/serve.js';
import { percentile, type Report, sleep } from './report.js';

const namespaces = 50;
const appsPerNamespace = 20;
const latencySamples = 40;
const debounceMs = 100;
const deployments = { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' };
const services = { group: '', version: 'v1', resource: 'services', kind: 'Service' };

// Why: one app's five lookups, as a flight records them: two shared objects that exist, three of its own not yet created.
async function appRefs(http: KubeHttp, namespace: string, app: string, shared: LookupRef[]): Promise<LookupRef[]> {
  return [...shared, await lookedUp(http, jobs, namespace, `${app}-migrate`), await lookedUp(http, secrets, namespace, `${app}-db`), await lookedUp(http, deployments, namespace, app)];
}

// Why: how fast a change reaches Argo CD, and what 1,000 apps cost the service in memory and watches.
export async function benchRefresher(report: Report): Promise<void> {
  report.section(`Refresher: a real \`jetway serve\` process against the test API server (debounce ${debounceMs} ms)`);
  const names = Array.from({ length: namespaces }, (_, i) => `team-${String(i).padStart(2, '0')}`);
  const api = await startApiServer({ namespaces: ['argocd', ...names] });
  const http = httpFor(api);
  const serve = await startServe(api, ['--debounce', `${debounceMs}ms`]);
  const socket = serve.socket;
  try {
    await sleep(1_000);
    const baseline = residentMib(serve.process.pid!);
    const apps: Array<{ namespace: string; app: string }> = [];
    for (const namespace of names) {
      api.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'platform', namespace }, data: { region: 'eu' } });
      api.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'postgres', namespace }, spec: { ports: [{ port: 5432 }] } });
      const shared = [await lookedUp(http, configMaps, namespace, 'platform'), await lookedUp(http, services, namespace, 'postgres')];
      for (let i = 0; i < appsPerNamespace; i++) {
        const app = `${namespace}-app-${i}`;
        apps.push({ namespace, app });
        api.put(application('argocd', app)); // a record is stored only for an Application that exists (it owns the record)
        await postRecord(socket, run(app, await appRefs(http, namespace, app, shared), { waiting: true, statusMessage: 'waiting for the database secret' }));
      }
    }
    const pairs = namespaces * 5;
    await api.waitForWatches(pairs + 1, 30_000); // + the leader's watch of RunRecords
    await sleep(2_000);
    const loaded = residentMib(serve.process.pid!);
    report.value(`apps recorded / refs each`, `${apps.length} / 5`, `${namespaces} namespaces; 2 shared objects and 3 per-app objects per app`);
    report.value(
      'watches open (API server count / jetway_watches_open)',
      `${api.openWatches} / ${await metric(serve.opsUrl, 'jetway_watches_open')}`,
      `distinct (resource, namespace) pairs: ${pairs}`,
    );
    report.value(
      'resident memory of `jetway serve`: idle → with 1,000 apps',
      `${baseline.toFixed(0)} → ${loaded.toFixed(0)} MiB`,
      `+${(loaded - baseline).toFixed(1)} MiB, ${(((loaded - baseline) * 1024) / apps.length).toFixed(1)} KiB per app (VmRSS)`,
    );

    const patchedAt = new Map<string, number>();
    api.onRequest((request) => {
      const m = /^\/apis\/argoproj\.io\/v1alpha1\/namespaces\/argocd\/applications\/([^/]+)$/.exec(request.path);
      if (request.method === 'PATCH' && m && !patchedAt.has(m[1]!)) patchedAt.set(m[1]!, performance.now());
    });
    const latencies: number[] = [];
    for (const { namespace, app } of apps.slice(0, latencySamples)) {
      api.put(application('argocd', app, { source: { repoURL: 'https://example.com/repo', path: app } }));
      await sleep(50);
      const changed = performance.now();
      api.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${app}-db`, namespace }, stringData: { password: 'bench' } });
      while (!patchedAt.has(app)) {
        if (performance.now() - changed > 10_000) throw new Error(`no hard refresh of ${app} within 10 s`);
        await sleep(2);
      }
      latencies.push(patchedAt.get(app)! - changed);
    }
    report.ms(`change → hard-refresh patch, p50 (${latencySamples} Secrets created)`, percentile(latencies, 50), `includes the ${debounceMs} ms debounce`);
    report.ms(`change → hard-refresh patch, p95`, percentile(latencies, 95));
  } finally {
    await serve.stop();
    http.close();
    await api.close();
  }
}
