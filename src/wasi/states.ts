// yoke's host-call state codes (internal/wasm): flights switch on these numbers.

export const State = {
  OK: 0,
  FeatureNotGranted: 1,
  Error: 2,
  NotFound: 3,
  Unauthenticated: 4,
  Forbidden: 5,
} as const;

export type StateCode = (typeof State)[keyof typeof State];

/** What a host call hands back to the guest: a state and the bytes of the buffer (JSON or an error message). */
export interface HostAnswer {
  state: StateCode;
  body: string;
}

/** The two host imports yoke defines, with their arguments already read out of guest memory. */
export type HostCall = { op: 'k8s_lookup'; name: string; namespace: string; kind: string; apiVersion: string } | { op: 'k8s_rest_mapping'; groupOrAPIVersion: string; kind: string };

/** Answers host calls for one run; lives on the parent thread, where the network is. */
export type HostHandler = (call: HostCall) => Promise<HostAnswer>;

/** yoke's wording when cluster access is off (pkg/flight/wasi/k8s ErrorClusterAccessNotGranted comes from this state). */
export const featureNotGrantedMessage = 'feature not granted';

/** yoke's wording for an unowned, unmatched object (kerrors.NewForbidden with an empty resource). */
export const outsideOwnershipMessage = 'forbidden: cannot access resource outside of target release ownership';
