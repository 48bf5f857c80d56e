// The references a run touched: what the refresher watches to know when to re-run the flight.

/** One object a flight looked up. `fingerprint` is absent when the object did not exist. */
export interface LookupRef {
  /** yoke's `namespace/GroupKind:name`. */
  ref: string;
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespace: string;
  name: string;
  /** owned by the release, admitted by a matcher, or not found (ownership unknowable). */
  access: 'owned' | 'matched' | 'missing';
  fingerprint?: string;
  /** The object's resourceVersion when it was read: a later list showing the same one proves it unchanged without a GET. */
  resourceVersion?: string;
}
