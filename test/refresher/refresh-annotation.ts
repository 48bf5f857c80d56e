// A unit-sized imitation of how an Argo CD application controller consumes `argocd.argoproj.io/refresh` on one
// Application: enough to show whether a hard refresh jetway asked for leads to a generate. The full imitation lives in
// test/support/argocd; this one lets a test hold a reconcile open at will.
//
// Rule 'v3.5.1' (controller/appcontroller.go, persistReconciliationStatus ~2230 in the v3.5.1 tag): a reconcile that
// *began* with the annotation removes it when it persists, even if a new request (a new refresh-timestamp) arrived
// while it ran. Rule 'master' (argo-cd#28603, in no tag yet): it keeps the annotation when refresh-timestamp changed.

import type { FakeApiServer } from '../support/apiserver.js';

const refresh = 'argocd.argoproj.io/refresh';
const timestamp = 'argocd.argoproj.io/refresh-timestamp';

export interface ReconcileImitation {
  /** When each hard-refresh reconcile's generate started (ms), in order. */
  readonly generates: number[];
  /** Later generates wait until release() (one in progress is not affected). */
  hold(): void;
  /** Lets held and later generates finish. */
  release(): void;
  /** Whether a reconcile is in progress. */
  readonly reconciling: boolean;
  stop(): Promise<void>;
}

/**
 * Reconciles Application namespace/name whenever it carries a hard refresh: its generate starts at once, waits while held,
 * then `generated(startedAt)` runs (the test posts the run record there) and the reconcile persists by `rule`.
 */
export function imitateRefreshAnnotation(api: FakeApiServer, namespace: string, name: string, rule: 'v3.5.1' | 'master', generated: (startedAt: Date) => void | Promise<void>): ReconcileImitation {
  const generates: number[] = [];
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  let reconciling = false;
  let stopped = false;
  const annotations = () => api.get('argoproj.io/v1alpha1', 'Application', namespace, name)?.metadata?.annotations ?? {};

  async function reconcile(): Promise<void> {
    reconciling = true;
    const began = annotations()[timestamp];
    const startedAt = new Date();
    generates.push(startedAt.getTime());
    await gate?.promise;
    await generated(startedAt);
    api.mutate('argoproj.io/v1alpha1', 'Application', namespace, name, (app) => {
      const current = app.metadata!.annotations ?? {};
      if (rule === 'v3.5.1' || current[timestamp] === began) delete current[refresh];
    });
    reconciling = false;
  }

  // The controller's work queue: one reconcile of this app at a time, started whenever the annotation is present.
  const loop = (async () => {
    while (!stopped) {
      if (annotations()[refresh] === 'hard') await reconcile();
      else await new Promise((r) => setTimeout(r, 5));
    }
  })();

  return {
    generates,
    hold() {
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = undefined;
    },
    get reconciling() {
      return reconciling;
    },
    async stop() {
      stopped = true;
      this.release();
      await loop;
    },
  };
}
