// What the Argo CD dashboard shows of a jetway app over time: the app's health (controller/health.go) and, in the
// resource tree, its FlightStatus with the health and message the shipped Lua check gives it. Sampled on every
// change while a scenario runs, so a test can assert the order of what a user saw.

import type { KubeObject } from '../../../src/cluster/types.js';
import type { ArgoCdEnvironment } from './environment.js';
import { applicationHealth, resourceHealth, type Health } from './health.js';

export interface DashboardView {
  /** When the view was first seen, on the scenario's timeline clock. */
  at: number;
  sync: string | undefined;
  /** The app's health in its status, from the controller's last comparison (Argo CD 3 keeps no app-level message). */
  health: string | undefined;
  /**
   * The app's health over its live resources now: what the dashboard shows after the reconcile Argo CD runs on every
   * change of a managed resource (its cluster cache requests an app refresh), which this imitation does not model.
   * Undefined while none of its resources is live.
   */
  liveHealth: string | undefined;
  /** The FlightStatus in the resource tree: its health and message, undefined while it is not live. */
  flight: Health | undefined;
}

/** The app's FlightStatus as it is live in the destination. */
export function liveFlightStatus(env: ArgoCdEnvironment, app: string, namespace: string): KubeObject | undefined {
  try {
    return env.api.get('jetway.dev/v1alpha1', 'FlightStatus', namespace, app);
  } catch {
    return undefined; // the destination does not serve FlightStatus
  }
}

const trackedKinds: Array<[string, string]> = [
  ['batch/v1', 'Job'],
  ['apps/v1', 'Deployment'],
  ['v1', 'ConfigMap'],
  ['db.example.com/v1', 'Database'],
  ['jetway.dev/v1alpha1', 'FlightStatus'],
];

/** The app's live resources, by Argo CD's tracking id. */
function trackedLive(env: ArgoCdEnvironment, app: string): KubeObject[] {
  return trackedKinds.flatMap(([apiVersion, kind]) => {
    try {
      return env.api.list(apiVersion, kind).filter((o: KubeObject) => o.metadata?.annotations?.['argocd.argoproj.io/tracking-id']?.startsWith(`${app}:`));
    } catch {
      return []; // a kind the cluster does not serve
    }
  });
}

/** The dashboard now. */
export function dashboardView(env: ArgoCdEnvironment, app: string, namespace: string): DashboardView {
  const status = env.controller.application(app)?.status;
  const live = liveFlightStatus(env, app, namespace);
  const tracked = trackedLive(env, app);
  return {
    at: env.timeline.now(),
    sync: status?.sync?.status,
    health: status?.health?.status,
    liveHealth: tracked.length > 0 ? applicationHealth(tracked.map((o) => ({ live: o }))).status : undefined,
    flight: live ? resourceHealth(live) : undefined,
  };
}

/** Records every distinct dashboard view until stopped. */
export class DashboardRecorder {
  readonly views: DashboardView[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(env: ArgoCdEnvironment, app: string, namespace: string) {
    this.sample = () => {
      const view = dashboardView(env, app, namespace);
      const last = this.views.at(-1);
      const same = last && last.sync === view.sync && last.health === view.health && last.liveHealth === view.liveHealth && JSON.stringify(last.flight) === JSON.stringify(view.flight);
      if (!same) this.views.push(view);
    };
    this.sample();
    this.timer = setInterval(this.sample, env.timings.tickMs);
  }

  /** Records the dashboard now, if it changed. */
  readonly sample: () => void;

  /** Takes a last sample and stops. */
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  /** One line per view, for failure messages. */
  toString(): string {
    return this.views
      .map((v) => `${v.at.toFixed(0).padStart(7)} ms  ${v.sync}/${v.health} (live ${v.liveHealth})  flight: ${v.flight ? `${v.flight.status} ${JSON.stringify(v.flight.message ?? '')}` : '-'}`)
      .join('\n');
  }
}
