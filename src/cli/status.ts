// `jetway status [APP]`: the run records in the cluster (any replica wrote them): refs, last run, status. Reads them
// with a kubeconfig, so it works from a laptop as well as in the repo-server pod. There, the leading `jetway serve`
// also answers on its socket with what only it knows: the next planned hard refresh of each app.

import { Command } from 'commander';
import type { KubeHttp } from '../cluster/http.js';
import type { RecordView, RunRecord } from '../refresher/records.js';
import { defaultSocket, readSetting } from '../settings/settings.js';
import { reportFailure } from './fail.js';

/** The fields of a RecordView the leader's refresher adds to a stored record. */
type LiveFields = Pick<RecordView, 'nextRefreshAt' | 'notWatched' | 'refreshUnansweredSince'>;
const liveFields = ['nextRefreshAt', 'notWatched', 'refreshUnansweredSince'] as const;

/**
 * What `jetway serve` on `socket` knows beyond the stored records, by app; undefined when nothing answers there (a laptop,
 * or the service restarting): status then shows the stored records alone. Only the leader plans refreshes, so a
 * follower answers with no apps.
 */
async function liveFieldsFrom(socket: string): Promise<Map<string, LiveFields> | undefined> {
  const { fetchRecords } = await import('../service/client.js');
  let answer: unknown;
  try {
    answer = await fetchRecords(socket);
  } catch {
    return undefined;
  }
  const live = new Map<string, LiveFields>();
  for (const view of Array.isArray(answer) ? (answer as Array<Record<string, unknown>>) : []) {
    if (typeof view?.['app'] !== 'string') continue;
    const fields: LiveFields = {};
    for (const key of liveFields) if (typeof view[key] === 'string') fields[key] = view[key];
    live.set(view['app'], fields);
  }
  return live;
}

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
    .option('--socket <path>', `the socket of jetway serve, asked for the next planned refreshes when it answers (default: JETWAY_SOCKET, else ${defaultSocket})`)
    .action(async (app: string | undefined, flags: { kubeconfig?: string; context?: string; socket?: string }) => {
      let http: KubeHttp | undefined;
      try {
        // loaded here: client-node costs every other command (generate above all) its start-up time
        const [{ KubeHttp }, { loadKubeConfig }, { loadRecords }] = await Promise.all([import('../cluster/http.js'), import('../cluster/kube.js'), import('../refresher/record-store.js')]);
        http = new KubeHttp(loadKubeConfig(flags));
        const { records, problems } = await loadRecords(http);
        for (const problem of problems) process.stderr.write(`jetway: status: ignored ${problem}\n`);
        const stored = (app ? records.filter((r) => r.app === app) : records).sort((a, b) => a.app.localeCompare(b.app));
        if (app && stored.length === 0) throw new Error(`no run record for ${app}: it has not generated through jetway serve since its Application was created`);
        const socket = flags.socket ?? readSetting(process.env, 'socket') ?? defaultSocket;
        const live = await liveFieldsFrom(socket);
        if (live?.size === 0 && stored.length > 0) {
          process.stderr.write(
            `jetway: status: the jetway serve at ${socket} does not lead, and only the leader (the holder of the Lease jetway-refresher in Argo CD's namespace) knows the next planned refreshes\n`,
          );
        }
        const shown: RecordView[] = stored.map((r: RunRecord) => ({ ...r, ...live?.get(r.app) }));
        process.stdout.write(shown.map(describe).join('\n\n') + (shown.length ? '\n' : 'no records yet\n'));
      } catch (error) {
        reportFailure(error, 'status');
      } finally {
        http?.close();
      }
    });
}
