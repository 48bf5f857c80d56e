// One active refresher among jetway serve replicas: leader election on a coordination.k8s.io/v1 Lease, following
// client-go's tools/leaderelection. Written here because @kubernetes/client-node 1.4 ships no leader election.

import { failureFor, type KubeHttp } from '../cluster/http.js';
import type { KubeObject } from '../cluster/types.js';
import type { Clock } from './clock.js';
import type { Log } from './log.js';

export interface LeaderElectionOptions {
  http: KubeHttp;
  /** Where the Lease lives (the Argo CD namespace) and its name. */
  namespace: string;
  name: string;
  /** This replica: the pod name. */
  identity: string;
  /** How long a non-leader waits after last seeing the lease change before taking it (client-go LeaseDuration). Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a renewal before giving up leadership (client-go RenewDeadline). Default 10 s. */
  renewDeadlineMs?: number;
  /** Between attempts to acquire or renew (client-go RetryPeriod). Default 2 s. */
  retryPeriodMs?: number;
  clock: Clock;
  log: Log;
  /** Called once this replica holds the lease. */
  onStartedLeading(): void;
  /** Called at once when it no longer does (renewal failed past the deadline, or stop()). */
  onStoppedLeading(): void;
}

/** The Lease spec fields leader election reads and writes (client-go's LeaderElectionRecord). */
interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** Kubernetes MicroTime: RFC 3339 with six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Holds or waits for the lease until stopped; calls back on every change of leadership. */
export class LeaderElector {
  private observed: { spec: string; at: number } | undefined;
  private leading = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private readonly path: string;

  constructor(private readonly o: LeaderElectionOptions) {
    this.leaseMs = o.leaseDurationMs ?? 15_000;
    this.renewMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
    if (!(this.leaseMs > this.renewMs && this.renewMs > this.retryMs * 1.2)) {
      throw new Error(`leader election timings: lease duration ${this.leaseMs} ms must exceed renew deadline ${this.renewMs} ms, which must exceed 1.2 × retry period ${this.retryMs} ms`);
    }
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(o.namespace)}/leases/${encodeURIComponent(o.name)}`;
  }

  /** Starts competing for the lease. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Whether this replica holds the lease now. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Stops competing; a leader steps down at once and releases the lease so another replica takes over without waiting for it to expire. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (!this.leading) return;
    this.stepDown();
    await this.release().catch((error: unknown) => this.o.log('warn', `could not release the lease ${this.o.namespace}/${this.o.name}: ${(error as Error).message}`));
  }

  // Why: client-go's Run: acquire, lead while renewals succeed, and (unlike client-go, which exits) compete again.
  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (!(await this.attempt())) {
        // wait.JitterUntil(RetryPeriod, JitterFactor 1.2)
        await this.o.clock.sleep(this.retryMs * (1 + Math.random() * 1.2), signal);
        continue;
      }
      this.leading = true;
      this.o.log('info', `became the leader (lease ${this.o.namespace}/${this.o.name})`, { identity: this.o.identity });
      this.o.onStartedLeading();
      await this.renewLoop(signal);
      if (signal.aborted) return;
      this.stepDown();
    }
  }

  // Why: each period renew; a renewal may be retried until the renew deadline passes, then leadership is lost.
  private async renewLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.o.clock.sleep(this.retryMs, signal);
      if (signal.aborted) return;
      const deadline = this.o.clock.now() + this.renewMs;
      let renewed = await this.attempt();
      while (!renewed && !signal.aborted && this.o.clock.now() + this.retryMs < deadline) {
        await this.o.clock.sleep(this.retryMs, signal);
        renewed = await this.attempt();
      }
      if (!renewed) {
        if (!signal.aborted) this.o.log('warn', `could not renew the lease ${this.o.namespace}/${this.o.name} within ${this.renewMs} ms: stepping down`, { identity: this.o.identity });
        return;
      }
    }
  }

  // Why: the refresher must stop watching the moment another replica may have started.
  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    this.o.log('info', `stopped leading (lease ${this.o.namespace}/${this.o.name})`, { identity: this.o.identity });
    this.o.onStoppedLeading();
  }

  // Why: client-go's tryAcquireOrRenew; any error or conflict is one failed attempt, never a guess.
  private async attempt(): Promise<boolean> {
    try {
      return await this.tryAcquireOrRenew();
    } catch (error) {
      this.o.log('warn', `lease ${this.o.namespace}/${this.o.name}: ${(error as Error).message}`, { identity: this.o.identity });
      return false;
    }
  }

  // Why: expiry is judged on this replica's clock from when it last saw the record change (never the holder's renewTime), so clock skew between nodes does not matter.
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.o.clock.now();
    const res = await this.o.http.request(this.path);
    if (res.status === 404) {
      const spec: LeaseSpec = { holderIdentity: this.o.identity, leaseDurationSeconds: Math.ceil(this.leaseMs / 1000), acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
      const body: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec };
      const created = await this.o.http.request(this.path.slice(0, this.path.lastIndexOf('/')), { method: 'POST', body: JSON.stringify(body), contentType: 'application/json' });
      if (created.status === 409) return false;
      if (created.status < 200 || created.status >= 300) throw failureFor('POST', this.path, created.status, created.text);
      this.observe(spec, now);
      return true;
    }
    if (res.status < 200 || res.status >= 300) throw failureFor('GET', this.path, res.status, res.text);
    const lease = JSON.parse(res.text) as Lease;
    const current = lease.spec ?? {};
    if (this.observed?.spec !== JSON.stringify(current)) this.observe(current, now);
    const holder = current.holderIdentity ?? '';
    if (holder !== '' && holder !== this.o.identity && this.observed!.at + this.leaseMs > now) return false;
    const mine = holder === this.o.identity;
    const spec: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: mine ? current.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (current.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    const updated = await this.o.http.request(this.path, { method: 'PUT', body: JSON.stringify({ ...lease, spec }), contentType: 'application/json' });
    if (updated.status === 409) return false;
    if (updated.status < 200 || updated.status >= 300) throw failureFor('PUT', this.path, updated.status, updated.text);
    this.observe(spec, now);
    return true;
  }

  // Why: client-go's release on cancel: an empty holder lets the next replica take the lease at its next attempt.
  private async release(): Promise<void> {
    const res = await this.o.http.request(this.path);
    if (res.status < 200 || res.status >= 300) return;
    const lease = JSON.parse(res.text) as Lease;
    if (lease.spec?.holderIdentity !== this.o.identity) return;
    const now = microTime(this.o.clock.now());
    const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 };
    await this.o.http.request(this.path, { method: 'PUT', body: JSON.stringify({ ...lease, spec }), contentType: 'application/json' });
  }

  // Why: when the record last changed, as this replica saw it, is what expiry is measured from.
  private observe(spec: LeaseSpec, at: number): void {
    this.observed = { spec: JSON.stringify(spec), at };
  }
}
