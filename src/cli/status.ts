// `jetway status [APP]`: the run records in the cluster (any replica wrote them): refs, last run, status. Reads them
// with a kubeconfig, so it works from a laptop as well as in the repo-server pod.

import { Command } from 'commander';
import type { KubeHttp } from '../cluster/http.js';
import type { RecordView } from '../refresher/records.js';
import { reportFailure } from './fail.js';

/** One app as readable text. */
function describe(record: RecordView): string {
  const lines = [
    `${record.app}: ${record.outcome}${record.waiting ? ' (waiting)' : ''} at ${record.ranAt}`,
    `  status: ${record.statusMessage ?? '-'}`,
    ...(record.nextRefreshAt ? [`  next refresh: ${record.nextRefreshAt}`] : []),
    ...(record.notWatched ? [`  not watched: ${record.notWatched}`] : []),
    ...(record.refreshUnansweredSince ? [`  hard refresh requested at ${record.refreshUnansweredSince}: no generate has started since`] : []),
    ...record.refs.map((r) => `  ref ${r.ref} (${r.access}${r.fingerprint ? '' : ', not found'})`),
  ];
  return lines.join('\n');
}

/** The commander definition. */
export function statusCommand(): Command {
  return new Command('status')
    .description('print the run records jetway stored in the cluster for each app (or one app)')
    .argument('[app]', 'ARGOCD_APP_NAME of one Application (<name>, or <namespace>_<name> outside the Argo CD namespace)')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .action(async (app: string | undefined, flags: { kubeconfig?: string; context?: string }) => {
      let http: KubeHttp | undefined;
      try {
        // loaded here: client-node costs every other command (generate above all) its start-up time
        const [{ KubeHttp }, { loadKubeConfig }, { loadRecords }] = await Promise.all([import('../cluster/http.js'), import('../cluster/kube.js'), import('../refresher/record-store.js')]);
        http = new KubeHttp(loadKubeConfig(flags));
        const { records, problems } = await loadRecords(http);
        for (const problem of problems) process.stderr.write(`jetway: status: ignored ${problem}\n`);
        const shown = (app ? records.filter((r) => r.app === app) : records).sort((a, b) => a.app.localeCompare(b.app));
        if (app && shown.length === 0) throw new Error(`no run record for ${app}: it has not generated through jetway serve since its Application was created`);
        process.stdout.write(shown.map(describe).join('\n\n') + (shown.length ? '\n' : 'no records yet\n'));
      } catch (error) {
        reportFailure(error, 'status');
      } finally {
        http?.close();
      }
    });
}
