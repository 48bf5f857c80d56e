// Issue 12: the Argo CD dashboard follows the flight. Under the Argo CD imitation, with jetway's FlightStatus CRD and
// the Lua health check deploy/flight-status ships (run on a real Lua VM): while a flight waits the app is Progressing
// and its FlightStatus says what for; a failed flight makes it Degraded; done makes it Healthy. With YAML input (what
// people write in an Application), JSON input, and a flight that sets yoke's Ready condition itself; a Progressing
// FlightStatus never holds back the flight's own sync waves; a destination without the CRD still syncs.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecordView } from '../../src/refresher/records.js';
import { fetchRecords } from '../../src/service/client.js';
import type { PluginParameter } from '../support/cmp-server.js';
import { DashboardRecorder, liveFlightStatus, type DashboardView } from '../support/argocd/dashboard.js';
import { exampleDirectory, startArgoCd, type ArgoCdEnvironment, type EnvironmentOptions } from '../support/argocd/environment.js';
import { hardRefreshReconciled } from '../support/argocd/scenarios.js';
import { watModule } from '../support/wat.js';

type Variant = 'yaml' | 'json' | 'ready-condition';

/** The input of an example, as the variant gives it: a YAML string, the JSON input file, or YAML with --ready-condition. */
function inputParameters(example: 'pipeline' | 'app', name: string, variant: Variant): PluginParameter[] {
  const kind = example === 'pipeline' ? 'Pipeline' : 'App';
  const spec = example === 'pipeline' ? '  {}' : '\n  image: nginx:1.27\n  replicas: 2';
  const yamlInput = `# a yokecd-style Application input\napiVersion: examples.jetway.dev/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:${spec}\n`;
  const input: PluginParameter[] = variant === 'json' ? [{ name: 'inputFiles', array: ['input.json'] }] : [{ name: 'input', string: yamlInput }];
  const args: PluginParameter[] = variant === 'ready-condition' ? [{ name: 'args', array: ['--ready-condition'] }] : [];
  return [...args, { name: 'clusterAccess', string: 'true' }, ...input, { name: 'wasm', string: `${example}.wasm.gz` }];
}

/** Runs `body` in a fresh imitation with the FlightStatus CRD installed, recording the dashboard of `app`. */
async function withDashboard(
  options: Omit<EnvironmentOptions, 'namespace'> & { namespace?: string },
  app: string,
  body: (env: ArgoCdEnvironment, until: (what: string, check: () => boolean | Promise<boolean>) => Promise<void>, dashboard: DashboardRecorder) => Promise<void>,
): Promise<{ views: DashboardView[]; env: ArgoCdEnvironment }> {
  const namespace = options.namespace ?? app;
  const env = await startArgoCd({ flightStatusCrd: true, ...options, namespace });
  const recorder = new DashboardRecorder(env, app, namespace);
  const until = async (what: string, check: () => boolean | Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}\n--- dashboard ---\n${recorder}\n--- timeline ---\n${env.timeline}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await body(env, until, recorder);
    const errors = env.errors();
    if (errors.length > 0) throw new Error(`the imitation's controllers failed:\n${errors.map((e) => e.stack).join('\n')}`);
  } catch (error) {
    if (error instanceof Error) error.message += `\n--- dashboard ---\n${recorder}`;
    throw error;
  } finally {
    recorder.stop();
    await env.close();
  }
  return { views: recorder.views, env };
}

const flightMessages = (views: DashboardView[]) => [...new Set(views.flatMap((v) => (v.flight?.message ? [v.flight.message] : [])))];
const last = (views: DashboardView[]) => views.at(-1)!;
const settledWith = (env: ArgoCdEnvironment, app: string, message: string) => () => {
  const status = env.controller.application(app)?.status;
  const live = liveFlightStatus(env, app, app) as { spec?: { message?: string } } | undefined;
  return status?.sync?.status === 'Synced' && status.health?.status === 'Healthy' && live?.spec?.message === message;
};

for (const variant of ['yaml', 'json', 'ready-condition'] as const) {
  describe(`dashboard with ${variant} input`, () => {
    test('pipeline: Progressing "waiting for job …" at each stage, then Healthy "all jobs have completed"; no Pipeline object is applied', async () => {
      const app = 'pipeline';
      const { views, env } = await withDashboard({ directories: [exampleDirectory('pipeline')] }, app, async (env, until) => {
        env.createApplication({ name: app, path: 'pipeline', parameters: inputParameters('pipeline', app, variant) });
        await until('the app is Healthy with all jobs completed', settledWith(env, app, 'all jobs have completed'));
      });
      const stages = ['one', 'two', 'three'].map((n) => `waiting for job ${n} to complete`);
      assert.deepEqual(flightMessages(views), [...stages, 'all jobs have completed']);
      for (const stage of stages) {
        const shown = views.filter((v) => v.flight?.message === stage);
        assert.ok(shown.length > 0 && shown.every((v) => v.flight?.status === 'Progressing' && v.liveHealth === 'Progressing'), `${stage}: the app is Progressing with the flight's message`);
      }
      // the dashboard never claims done early: Healthy only once the flight says all jobs have completed
      for (const view of views.filter((v) => v.flight !== undefined && (v.health === 'Healthy' || v.liveHealth === 'Healthy')))
        assert.deepEqual(view.flight, { status: 'Healthy', message: 'all jobs have completed' });
      assert.deepEqual(last(views).flight, { status: 'Healthy', message: 'all jobs have completed' });
      assert.deepEqual(
        env.timeline.of('generated').flatMap((g) => g.objects.filter((o) => o.startsWith('Pipeline/'))),
        [],
        "the flight's own Pipeline object was taken out",
      );
    });

    test('pipeline: job two failing makes the app Degraded with "job two failed: …", and job three never exists', async () => {
      const app = 'pipeline';
      const message = 'step 2: migration exited with code 1';
      const { views, env } = await withDashboard({ directories: [exampleDirectory('pipeline')] }, app, async (env, until, dashboard) => {
        env.jobs.failJob(`${app}-two`, message);
        env.createApplication({ name: app, path: 'pipeline', parameters: inputParameters('pipeline', app, variant) });
        // the refresher has acted on job two's failure, Argo CD has generated and compared after it, and the app is Synced
        // with no operation: the manifests it holds are the stopped pipeline's, and nothing is left to apply
        await until('Argo CD shows the failure, reconciled and synced, with nothing pending', () => {
          const application = env.controller.application(app);
          const failed = env.timeline.first('job-failed', `Job/${app}-two`);
          return (
            application?.status?.health?.status === 'Degraded' &&
            application.status.sync?.status === 'Synced' &&
            !application.operation &&
            last(dashboard.views).flight?.status === 'Degraded' &&
            hardRefreshReconciled(env, app, failed)()
          );
        });
      });
      assert.deepEqual(last(views).flight, { status: 'Degraded', message: `job two failed: ${message}` });
      assert.deepEqual([last(views).health, last(views).liveHealth], ['Degraded', 'Degraded']);
      // every generate after the failure rendered the stopped pipeline: job three is neither emitted nor created
      const failed = env.timeline.first('job-failed', `Job/${app}-two`);
      const after = env.timeline.of('generated').filter((g) => g.app === app && g.result === 'ran' && g.at > failed);
      assert.ok(after.length > 0, 'a generate ran after job two failed');
      assert.deepEqual(
        after.filter((g) => g.objects.includes(`Job/${app}-three`)),
        [],
        'a generate emitted job three',
      );
      assert.equal(env.timeline.first('created', `Job/${app}-three`), Infinity, 'job three was created');
    });

    test('app: Progressing "waiting for connection secret" until the Secret appears, Healthy once the Deployment is available', async () => {
      const app = 'shop';
      const { views, env } = await withDashboard({ directories: [exampleDirectory('app')], databaseOperator: true }, app, async (env, until) => {
        env.createApplication({ name: app, path: 'app', parameters: [...inputParameters('app', app, variant), { name: 'resourceMatchers', array: [`Secret:${app}-db-conn`] }] });
        await until('the app is Healthy and ready', settledWith(env, app, 'ready'));
      });
      const waiting = views.filter((v) => v.flight?.message === `waiting for connection secret ${app}-db-conn`);
      assert.ok(waiting.length > 0, 'the dashboard showed the wait for the connection secret');
      for (const view of waiting) assert.deepEqual([view.liveHealth, view.flight?.status], ['Progressing', 'Progressing']);
      // Argo CD leaves resources that are not live yet out of app health (controller/health.go), so a comparison made
      // before the FlightStatus was first applied can read Healthy from the Database alone, and the app shows it until
      // the next comparison; from the first comparison after that on, Healthy means the flight is ready
      const applied = env.timeline.first('created', `FlightStatus/${app}`);
      const recompared = env.timeline.of('compared').find((c) => c.app === app && c.at > applied)?.at ?? Infinity;
      const early = views.filter((v) => v.at > recompared && v.health === 'Healthy' && v.flight?.message !== 'ready');
      assert.deepEqual(early, [], `Healthy only once the flight is ready\n--- timeline ---\n${env.timeline}`);
      // that early Healthy is only ever paired with OutOfSync (the FlightStatus is not live yet): Synced and Healthy
      // together, what app-of-apps and progressive syncs should wait for, never claims done early
      const syncedHealthy = views.filter((v) => v.sync === 'Synced' && v.health === 'Healthy');
      assert.ok(syncedHealthy.length > 0);
      for (const view of syncedHealthy) assert.deepEqual(view.flight, { status: 'Healthy', message: 'ready' }, `Synced and Healthy before ready\n--- timeline ---\n${env.timeline}`);
      const moved = views.find((v) => v.flight?.message !== undefined && v.at > waiting[0]!.at && !waiting.includes(v))!;
      assert.ok(moved.at > env.timeline.first('secret-published'), 'the dashboard moved past the wait only after the Secret was published');
      // (before the FlightStatus is first applied only the health-less Database is live, which Argo CD counts as Healthy)
      const healthy = views.find((v) => v.flight !== undefined && v.liveHealth === 'Healthy')!;
      // Healthy only once the flight saw the Deployment available and said so
      assert.deepEqual(healthy.flight, { status: 'Healthy', message: 'ready' });
      assert.deepEqual(last(views).flight, { status: 'Healthy', message: 'ready' });
    });
  });
}

test("a Progressing FlightStatus never holds back the flight's own waves: the sync applies wave two and succeeds while the flight still waits", async () => {
  const app = 'staged';
  const directory = { path: 'staged', files: { 'flight.wasm': await watModule('staged-waiting') } };
  const input = 'apiVersion: examples.jetway.dev/v1\nkind: Staged\nmetadata:\n  name: staged\n';
  const { views, env } = await withDashboard({ directories: [directory] }, app, async (env, until) => {
    env.createApplication({
      name: app,
      path: 'staged',
      parameters: [
        { name: 'input', string: input },
        { name: 'wasm', string: 'flight.wasm' },
      ],
    });
    await until('the sync has applied wave two and finished', () => env.timeline.of('sync-finished').some((s) => s.app === app && s.phase === 'Succeeded'));
  });
  const waves = env.timeline.of('wave-applied').filter((w) => w.app === app);
  // the FlightStatus sits in the last wave, with wave two's objects: gitops-engine never waits on the last wave's health
  assert.deepEqual(
    waves.map((w) => [w.wave, [...w.resources].sort()]),
    [
      [0, ['Job/migrate']],
      [1, ['ConfigMap/settings', 'FlightStatus/staged']],
    ],
  );
  assert.ok(waves[1]!.at > env.timeline.first('job-completed', 'Job/migrate'), 'wave two waited for the Job, as Argo CD does');
  assert.deepEqual(last(views).flight, { status: 'Progressing', message: 'waiting for an approval nobody gives' });
  assert.equal(last(views).liveHealth, 'Progressing');
});

test('a destination without the FlightStatus CRD: no FlightStatus is emitted, the app still syncs and completes, the record says the CRD is missing, and one Warning Event says how to install it', async () => {
  const app = 'pipeline';
  const { views, env } = await withDashboard({ directories: [exampleDirectory('pipeline')], flightStatusCrd: false }, app, async (env, until) => {
    env.createApplication({ name: app, path: 'pipeline', parameters: inputParameters('pipeline', app, 'yaml') });
    await until('job three has completed and the app is Synced and Healthy', () => {
      const status = env.controller.application(app)?.status;
      return env.timeline.first('job-completed', `Job/${app}-three`) < Infinity && status?.sync?.status === 'Synced' && status.health?.status === 'Healthy';
    });
    // job three completing ends the wait, but the flight says so in the run after it: wait for that run's record
    const record = async () => ((await fetchRecords(env.service.socket)) as RecordView[]).find((r) => r.app === app);
    await until('the run after job three records the flight done', async () => (await record())?.signal === 'done');
    const done = await record();
    assert.deepEqual([done?.signal, done?.flightStatusCrdMissing, done?.statusMessage], ['done', true, 'all jobs have completed']);
    // every run found the CRD missing; the Application was told once (a run's Warning is written before its other Events)
    const events = () => env.api.list('v1', 'Event', env.argocdNamespace).filter((e) => (e['involvedObject'] as { name?: string }).name === app);
    await until("the last run's Events are written", () => events().some((e) => e['reason'] === 'FlightProgressed' && String(e['message']).endsWith('to "all jobs have completed"')));
    const warnings = events().filter((e) => e['reason'] === 'FlightStatusCrdMissing');
    assert.deepEqual(
      warnings.map((e) => [e['type'], e['count']]),
      [['Warning', 1]],
    );
    assert.match(
      String(warnings[0]!['message']),
      /does not serve jetway's FlightStatus CRD .* Install the CRD there from deploy\/flight-status: kubectl apply -f deploy\/flight-status\/flightstatus-crd\.yaml$/,
    );
  });
  assert.ok(views.every((v) => v.flight === undefined));
  assert.deepEqual(
    env.timeline.of('generated').flatMap((g) => g.objects.filter((o) => o.startsWith('FlightStatus/'))),
    [],
  );
});
