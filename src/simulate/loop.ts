// The simulate loop: run the flight, apply the first wave that is not applied and ready, let the simulated
// controllers move its workloads, run again; until a run leaves nothing to do, or the step budget is spent.

import type { DashboardHealth } from '../stages/flight-status.js';
import { OfflineCluster } from '../cluster/offline.js';
import type { KubeObject } from '../cluster/types.js';
import type { LookupRef } from '../host/refs.js';
import { applyOver, isApplied, liveOf } from './apply.js';
import { advance, type Advanced } from './controllers.js';
import { appHealth, healthOf } from './health.js';
import { wavesOf } from './waves.js';

/** What one run of the flight said: the manifests as generate emits them, its status, the lookups that found nothing. */
export interface Observation {
  objects: KubeObject[];
  statusMessage: string | undefined;
  /** The health of the app's FlightStatus, as the dashboard's Lua check computes it. */
  flightHealth: DashboardHealth;
  missing: LookupRef[];
}

/** Objects the simulation adds when it would otherwise stop (`--create FILE`): what another controller would create. */
export interface Injection {
  source: string;
  objects: KubeObject[];
}

/** What happened in one step, as plain data. */
export interface StepReport {
  step: number;
  statusMessage: string | undefined;
  /** The app's health the Argo CD dashboard would show after this step: the worst of its resources and its FlightStatus. */
  health: DashboardHealth;
  /** The wave worked on (1-based, among the waves this run emitted) and what of it was applied. */
  wave?: { index: number; count: number; applied: KubeObject[] };
  /** Workloads the simulated controllers moved, with what they became. */
  advanced: Advanced[];
  created?: Injection;
}

export type Ending =
  /** Everything emitted is applied and ready, and the flight looked up nothing that is missing. */
  | { outcome: 'settled'; steps: number; statusMessage: string | undefined }
  /** Nothing left to do, yet not done: a failed workload blocks its wave, or the flight waits for objects nobody creates. */
  | { outcome: 'stuck'; steps: number; statusMessage: string | undefined; failed: KubeObject[]; missing: LookupRef[] }
  /** Still applying after the last allowed step. */
  | { outcome: 'max-steps'; steps: number; statusMessage: string | undefined }
  /** The flight (or shaping its output) failed at this step; nothing of the step was reported. */
  | { outcome: 'failed'; steps: number; error: unknown };

export interface Plan {
  /** The starting state; the loop works on copies. */
  cluster: OfflineCluster;
  /** The release namespace: where namespace-less manifests land. */
  namespace: string;
  maxSteps: number;
  /** Names of Jobs that fail instead of completing. */
  failJobs: ReadonlySet<string>;
  creates: readonly Injection[];
  /** One run of the flight against the cluster as it is now. */
  observe: (cluster: OfflineCluster) => Promise<Observation>;
}

/** Why: one wave's worth of work is what Argo CD does per sync wave: apply what is out of sync, then wait for health. */
async function workOnFirstWave(cluster: OfflineCluster, waves: KubeObject[][], plan: Plan): Promise<Pick<StepReport, 'wave' | 'advanced'> | undefined> {
  for (const [index, wave] of waves.entries()) {
    const lives = await Promise.all(wave.map((desired) => liveOf(cluster, desired, plan.namespace)));
    const done = (live: KubeObject | undefined, desired: KubeObject) => live !== undefined && isApplied(live, desired) && healthOf(live) === 'ready';
    if (wave.every((desired, i) => done(lives[i], desired))) continue;
    const applied: KubeObject[] = [];
    const advanced: Advanced[] = [];
    for (const [i, desired] of wave.entries()) {
      const live = lives[i];
      let current: KubeObject;
      if (live !== undefined && isApplied(live, desired)) {
        current = live;
      } else {
        current = applyOver(live, desired);
        cluster.put(current);
        applied.push(desired);
      }
      const moved = healthOf(current) === 'progressing' ? advance(current, plan.failJobs) : undefined;
      if (moved) {
        cluster.put(moved.object);
        advanced.push(moved);
      }
    }
    // a wave held only by a failed workload: Argo CD stops the sync there, and so does simulate
    if (applied.length === 0 && advanced.length === 0) return undefined;
    return { wave: { index: index + 1, count: waves.length, applied }, advanced };
  }
  return undefined;
}

/** Why: the loop's end is judged on the last run: failed workloads and missing lookups explain why it is not settled. */
async function judge(cluster: OfflineCluster, seen: Observation, steps: number, namespace: string): Promise<Ending> {
  const lives = await Promise.all(seen.objects.map((o) => liveOf(cluster, o, namespace)));
  const failed = lives.filter((o): o is KubeObject => o !== undefined && healthOf(o) === 'failed');
  if (failed.length === 0 && seen.missing.length === 0) return { outcome: 'settled', steps, statusMessage: seen.statusMessage };
  return { outcome: 'stuck', steps, statusMessage: seen.statusMessage, failed, missing: seen.missing };
}

/** Why: flight authors watch their orchestration unfold step by step, before any cluster sees it. */
export async function simulate(plan: Plan, onStep: (report: StepReport) => void): Promise<Ending> {
  let cluster = plan.cluster;
  const creates = [...plan.creates];
  let statusMessage: string | undefined;
  for (let step = 1; step <= plan.maxSteps; step++) {
    // a fresh view each step, so kinds from CustomResourceDefinitions applied so far resolve
    cluster = new OfflineCluster(cluster.all(), plan.namespace);
    let seen: Observation;
    try {
      seen = await plan.observe(cluster);
    } catch (error) {
      return { outcome: 'failed', steps: step, error };
    }
    statusMessage = seen.statusMessage;
    const work = await workOnFirstWave(cluster, wavesOf(seen.objects), plan);
    const health = async () =>
      appHealth(
        seen.flightHealth,
        (await Promise.all(seen.objects.map((o) => liveOf(cluster, o, plan.namespace)))).filter((o): o is KubeObject => o !== undefined),
      );
    if (work) {
      onStep({ step, statusMessage, health: await health(), ...work });
      continue;
    }
    const created = creates.shift();
    if (created) {
      for (const object of created.objects) cluster.put(object);
      onStep({ step, statusMessage, health: await health(), advanced: [], created });
      continue;
    }
    onStep({ step, statusMessage, health: await health(), advanced: [] });
    return judge(cluster, seen, step, plan.namespace);
  }
  return { outcome: 'max-steps', steps: plan.maxSteps, statusMessage };
}
