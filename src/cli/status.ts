// `jetway status [APP]`: what the service knows of each app: refs, last run, status, next refresh.

import { Command } from 'commander';
import type { RecordView } from '../refresher/records.js';
import { fetchRecords } from '../service/client.js';
import { defaultSocket, readSetting } from '../settings/settings.js';
import { reportFailure } from './fail.js';

/** One app as readable text. */
function describe(record: RecordView): string {
  const lines = [
    `${record.app}: ${record.outcome}${record.waiting ? ' (waiting)' : ''} at ${record.ranAt}`,
    `  status: ${record.statusMessage ?? '-'}`,
    `  next refresh: ${record.nextRefreshAt ?? 'when something it looked up changes'}`,
    ...record.refs.map((r) => `  ref ${r.ref} (${r.access}${r.fingerprint ? '' : ', not found'})`),
  ];
  return lines.join('\n');
}

/** The commander definition. */
export function statusCommand(): Command {
  return new Command('status')
    .description('print what jetway serve recorded for each app (or one app)')
    .argument('[app]', 'ARGOCD_APP_NAME of one Application')
    .option('--socket <path>', `unix socket of jetway serve (default: JETWAY_SOCKET, else ${defaultSocket})`)
    .action(async (app: string | undefined, flags: { socket?: string }) => {
      try {
        const records = (await fetchRecords(flags.socket ?? readSetting(process.env, 'socket') ?? defaultSocket)) as RecordView[];
        const shown = app ? records.filter((r) => r.app === app) : records;
        if (app && shown.length === 0) throw new Error(`no record for ${app}: it has not generated since jetway serve started`);
        process.stdout.write(shown.map(describe).join('\n\n') + (shown.length ? '\n' : 'no records yet\n'));
      } catch (error) {
        reportFailure(error, 'status');
      }
    });
}
