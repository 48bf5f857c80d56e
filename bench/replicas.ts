// Issue 13's figures with 1,000 apps: three `jetway serve` replicas (test/support/replicas.ts, the scenario
// test/cli/replicas.test.ts runs with 100): failover time, a rolling restart (refreshes triggered, time to ready), and
// the memory of the leader and of a follower. The scenario's checks hold here too: a run that breaks one fails.

import { runReplicaScenario, type ReplicaScenarioResult } from '../test/support/replicas.js';
import { httpFor } from '../test/refresher/support.js';
import { startApiServer } from '../test/support/apiserver.js';
import { installRunRecords } from '../test/support/serve.js';
import { median, type Report } from './report.js';

const apps = 1_000;

// Why: the bench measures only a run that behaved as issue 13 requires; a figure from a broken run would mislead.
function check(r: ReplicaScenarioResult): void {
  const failures = [
    r.leadersAtStart !== 1 && `${r.leadersAtStart} leaders at start`,
    r.watchesAtStart !== 2 && `${r.watchesAtStart} watches at start (want 2: RunRecords, Jobs in default)`,
    r.refreshesAtStart !== 0 && `${r.refreshesAtStart} start-up refreshes`,
    r.refreshedAfterFailover.join() !== 'app-1,app-2' && `refreshed after the failover: ${r.refreshedAfterFailover.join(', ')} (want app-1, app-2)`,
    JSON.stringify([...r.refreshedDuringRestart]) !== '[["app-7",1]]' && `refreshed during the restart: ${JSON.stringify([...r.refreshedDuringRestart])} (want app-7 once)`,
    (r.leadersAfterRestart !== 1 || r.watchesAfterRestart !== 2) && `${r.leadersAfterRestart} leaders, ${r.watchesAfterRestart} watches after the restart`,
    r.readyFailures !== 0 && `${r.readyFailures} /readyz failures`,
  ].filter((f): f is string => typeof f === 'string');
  if (failures.length > 0) throw new Error(`replica scenario with ${apps} apps: ${failures.join('; ')}`);
}

// Why: what replicated repo-servers cost and how fast they recover, with the production-sized record count.
export async function benchReplicas(report: Report): Promise<void> {
  report.section(
    `Replicas: three \`jetway serve\` processes over ${apps.toLocaleString('en')} recorded apps (lease duration 3 s, renew deadline 2 s, retry period 500 ms; defaults 15 s / 10 s / 2 s)`,
  );
  const api = await startApiServer({ namespaces: ['argocd', 'default'] });
  const http = httpFor(api);
  installRunRecords(api);
  try {
    const r = await runReplicaScenario({ api, http, apps, timeoutMs: 120_000 });
    check(r);
    report.value(
      'leaders / watches open, at start and after the rolling restart',
      `${r.leadersAtStart} / ${r.watchesAtStart}, ${r.leadersAfterRestart} / ${r.watchesAfterRestart}`,
      'checked: one leader; its RunRecords watch plus Jobs in default',
    );
    report.ms('failover: leader killed (SIGKILL) → another replica leads', r.takeoverMs, `bounded by the lease duration (${r.leaseDurationMs} ms) plus a retry period`);
    report.ms('failover: leader killed → first hard refresh by the new leader', r.failoverMs, 'of the app whose Job completed while nobody led, found by comparing the records with one LIST');
    report.value(
      'hard refreshes: at start / after the failover / during the rolling restart',
      `${r.refreshesAtStart} / ${r.refreshedAfterFailover.length} / ${[...r.refreshedDuringRestart.values()].reduce((a, b) => a + b, 0)}`,
      'checked: none at start; the two apps whose Jobs completed; only the one whose Job changed during the restart',
    );
    report.ms('rolling restart of all three (maxSurge 1): start → last old replica gone, a new one leads and watches', r.restartMs);
    report.ms(
      'a replica of the restart: process start → /readyz 200, median',
      median(r.restartReadyMs),
      `max ${Math.max(...r.restartReadyMs).toFixed(0)} ms; readiness does not wait for records or the lease`,
    );
    report.value('/readyz answers other than 200, whole run', String(r.readyFailures), 'probed every 100 ms on every replica');
    report.value(
      'resident memory with 1,000 records: leader / follower',
      `${r.leaderRssMib.toFixed(0)} / ${r.followerRssMib.toFixed(0)} MiB`,
      'VmRSS after the restart; the follower holds no refresher state',
    );
  } finally {
    http.close();
    await api.close();
  }
}
