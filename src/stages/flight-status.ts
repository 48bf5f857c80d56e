// The FlightStatus object: how the Argo CD dashboard learns a flight's done / waiting / failed signal with a stock
// Argo CD. jetway emits one per app; deploy/flight-status ships its CRD and the Lua health check Argo CD runs on it
// (resource.customizations.health.jetway.dev_FlightStatus in argocd-cm), which maps it as dashboardHealth does here.

import type { KubeObject } from '../cluster/types.js';
import type { FlightSignal, FlightState } from './signal.js';

const flightStatusGroup = 'jetway.dev';
export const flightStatusApiVersion = `${flightStatusGroup}/v1alpha1`;
export const flightStatusKind = 'FlightStatus';

/** The CRD caps spec.message at this length; a longer flight message is cut to fit. */
const maxStatusMessage = 1024;

/** Argo CD's health of the FlightStatus object, as its shipped Lua health check computes it. */
export interface DashboardHealth {
  status: 'Healthy' | 'Progressing' | 'Degraded';
  message: string;
}

const states: Record<FlightState, 'Done' | 'Waiting' | 'Failed'> = { done: 'Done', waiting: 'Waiting', failed: 'Failed' };

/** Why: render and simulate print the health the dashboard would show, without an Argo CD to ask. */
export function dashboardHealth(signal: FlightSignal): DashboardHealth {
  const message = signalMessage(signal);
  switch (signal.state) {
    case 'done':
      return { status: 'Healthy', message };
    case 'failed':
      return { status: 'Degraded', message };
    case 'waiting':
      return { status: 'Progressing', message };
  }
}

/** Why: render and simulate word the dashboard's health alike: `app health: Progressing (waiting for ...)`. */
export function describeHealth(health: DashboardHealth): string {
  return `app health: ${health.status}${health.message ? ` (${health.message})` : ''}`;
}

/** The message the object carries: the flight's own, cut to the CRD's limit, or a plain default. */
function signalMessage(signal: FlightSignal): string {
  const message = signal.message ?? (signal.state === 'waiting' ? 'the flight waits on cluster state' : '');
  return message.length > maxStatusMessage ? `${message.slice(0, maxStatusMessage - 1)}…` : message;
}

/** ARGOCD_APP_NAME is `<name>` or `<appNamespace>_<name>`; `_` is not allowed in object names, `.` is. */
function flightStatusName(release: string): string {
  return release.replace(/_/g, '.');
}

/**
 * True when the destination cluster serves FlightStatus (Argo CD passes its API list as KUBE_API_VERSIONS). Argo CD
 * lists "group/version/Kind" beside each "group/version" (controller/state.go, APIResourcesToStrings with kinds), and
 * jetway.dev/v1alpha1 also holds RunRecords, so only the kind entry proves it; a list without kinds can only say the
 * group version exists.
 */
export function destinationServesFlightStatus(apiVersions: readonly string[]): boolean {
  if (apiVersions.includes(`${flightStatusApiVersion}/${flightStatusKind}`)) return true;
  const listsKinds = apiVersions.some((v) => v.split('/').length === 3);
  return !listsKinds && apiVersions.includes(flightStatusApiVersion);
}

/**
 * The app's FlightStatus: only the state and the flight's message (never lookup contents). `wave` is the app's last
 * sync wave: gitops-engine waits for the health of every wave but the last (pkg/sync/sync_context.go, `finalWave`), so
 * a Progressing FlightStatus there never holds back the flight's own stages.
 */
export function flightStatusObject(release: string, signal: FlightSignal, wave: number): KubeObject {
  return {
    apiVersion: flightStatusApiVersion,
    kind: flightStatusKind,
    metadata: {
      name: flightStatusName(release),
      annotations: { 'argocd.argoproj.io/sync-wave': String(wave) },
    },
    spec: { state: states[signal.state], message: signalMessage(signal) },
  };
}
