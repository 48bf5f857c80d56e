// The imitation's application controller deploys an Application's resources to its destination cluster, as Argo CD
// v3.5.1 does (../shared/argocd-contract.md; util/argo/argo.go GetDestinationCluster): the in-cluster server, or the cluster
// Secret naming the destination by `server` or `name`, reached with the Secret's token. Manifests come from a stub
// repo-server here; the end-to-end scenarios run the real plugin.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import type { KubeObject } from '../../../src/cluster/types.js';
import { makeCrd, type FakeApiServer } from '../apiserver.js';
import { bearerConfig, registerCluster, startHubAndRemote, type HubAndRemote } from '../apiserver/clusters.js';
import { ApplicationController, type ApplicationObject } from './application-controller.js';
import { DestinationClusters, type DestinationSpec } from './destinations.js';
import { Kubectl } from './kubectl.js';
import { Timeline } from './timeline.js';
import { JobController } from './workload-controllers.js';

let clusters: HubAndRemote;
let hub: FakeApiServer;
let remote: FakeApiServer;
let kubectl: Kubectl;
let destinations: DestinationClusters;
let controller: ApplicationController;
let remoteJobs: JobController;
const timeline = new Timeline();

const allowAll = [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];
const job = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });

beforeEach(async () => {
  clusters = await startHubAndRemote();
  ({ hub, remote } = clusters);
  for (const api of [hub, remote]) api.ns('team');
  // Argo CD's AppProject CRD and its `default` project, as environment.ts installs them
  hub.put(makeCrd({ group: 'argoproj.io', kind: 'AppProject', plural: 'appprojects', singular: 'appproject', versions: ['v1alpha1'] }));
  hub.put({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: 'default', namespace: 'argocd' },
    spec: { sourceRepos: ['*'], destinations: [{ namespace: '*', server: '*' }] },
  });
  kubectl = new Kubectl(hub.kubeconfig());
  destinations = new DestinationClusters({ api: hub, kubectl, argocdNamespace: 'argocd' }, [remote]);
  controller = new ApplicationController({
    api: hub,
    kubectl,
    destinations: (d) => destinations.resolve(d),
    repo: { generate: async (request) => ({ manifests: [job(`${request.name}-migrate`)], revision: 'abc', cached: false }) },
    timeline,
    resolveRevision: () => 'abc',
    tickMs: 20,
  });
  remoteJobs = new JobController({ api: remote, timeline, tickMs: 20, durationMs: 50 });
});

afterEach(async () => {
  await Promise.all([controller.stop(), remoteJobs.stop()]);
  destinations.close();
  kubectl.close();
  await clusters.close();
});

function application(name: string, destination: Omit<DestinationSpec, 'namespace'>): void {
  hub.put({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'default',
      destination: { ...destination, namespace: 'team' },
      source: { repoURL: 'https://git.example/r.git', path: name },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  });
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !check(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what} (controller errors: ${controller.errors.slice(0, 3).join('; ')})`);
  }
}

const app = (name: string) => controller.application(name) as ApplicationObject;
const register = (token: string) => registerCluster(hub, { secretName: 'cluster-remote', name: 'remote', server: remote.url, config: bearerConfig(token, remote.ca) });

test("an Application destined to a registered cluster (by name or server) is deployed there with the Secret's token, run by that cluster's controllers", async () => {
  remote.addToken('argocd-manager-1', allowAll);
  register('argocd-manager-1');
  application('by-name', { name: 'remote' });
  application('by-server', { server: `${remote.url}/` });
  application('local', { server: 'https://kubernetes.default.svc' });
  await until('both remote apps are Synced and Healthy', () => ['by-name', 'by-server'].every((n) => app(n)?.status?.sync?.status === 'Synced' && app(n)?.status?.health?.status === 'Healthy'));
  await until('the in-cluster app is Synced', () => app('local')?.status?.sync?.status === 'Synced');
  const onRemote = remote.list('batch/v1', 'Job', 'team').map((j: KubeObject) => j.metadata?.annotations?.['argocd.argoproj.io/tracking-id']);
  assert.deepEqual(onRemote.sort(), ['by-name:batch/Job:team/by-name-migrate', 'by-server:batch/Job:team/by-server-migrate']);
  assert.deepEqual(
    hub.list('batch/v1', 'Job', 'team').map((j: KubeObject) => j.metadata?.annotations?.['argocd.argoproj.io/tracking-id']),
    ['local:batch/Job:team/local-migrate'],
  );
  const writes = remote.requests.filter((q) => q.method !== 'GET');
  assert.ok(writes.length > 0 && writes.every((q) => q.token === 'argocd-manager-1'), "applied with the cluster Secret's token");
  // the Application's status stays on the hub
  assert.equal(remote.requests.filter((q) => q.path.includes('/applications')).length, 0);
});

test('a rotated token in the cluster Secret is used from the next sync on; an unregistered destination is a ComparisonError', async () => {
  remote.addToken('argocd-manager-1', allowAll);
  register('argocd-manager-1');
  application('pipeline', { name: 'remote' });
  await until('the app is Synced', () => app('pipeline')?.status?.sync?.status === 'Synced');
  remote.addToken('argocd-manager-2', allowAll);
  register('argocd-manager-2');
  remote.removeToken('argocd-manager-1');
  const mark = remote.requests.length;
  remote.remove('batch/v1', 'Job', 'team', 'pipeline-migrate'); // self-heal re-creates it
  await until('the Job is re-created', () => remote.get('batch/v1', 'Job', 'team', 'pipeline-migrate') !== undefined);
  assert.deepEqual(
    [
      ...new Set(
        remote.requests
          .slice(mark)
          .filter((q) => q.method !== 'GET')
          .map((q) => q.token),
      ),
    ],
    ['argocd-manager-2'],
  );
  application('nowhere', { name: 'gone' });
  await until('the unknown destination is reported', () =>
    (app('nowhere')?.status?.conditions ?? []).some((c) => c.type === 'ComparisonError' && c.message.includes('there are no clusters with this name: gone')),
  );
});
