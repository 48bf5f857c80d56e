// `jetway generate`: what Argo CD's cmp-server runs in the app's source directory; writes a YAML stream or fails loudly.

import { Command } from 'commander';
import { readAdminSettings } from '../argocd/admin.js';
import { generate } from '../argocd/generate.js';
import { LazyKube } from '../cluster/connect.js';
import { localRunner, type FlightRunner } from '../flight/render.js';
import { postRecord, reportFallback, serviceRunner } from '../service/client.js';
import type { FallbackReason } from '../service/protocol.js';
import { formatManifests } from '../stages/format.js';
import { failureSummary, reportFailure } from './fail.js';

/** A run is waiting when it looked for something not there yet, or says it waits: the refresher then also polls it. */
function isWaiting(outcome: { refs: Array<{ access: string }>; statusMessage: string | undefined }): boolean {
  return outcome.refs.some((r) => r.access === 'missing') || /\bwait/i.test(outcome.statusMessage ?? '');
}

/** Runs generate, through the service when JETWAY_SOCKET answers, and tells the service what the run saw. */
async function generateCommandAction(): Promise<void> {
  const env = process.env;
  const { socket, maxRenderedBytes } = readAdminSettings(env);
  const kube = new LazyKube({ kubeconfig: env['JETWAY_KUBECONFIG'] });
  const fallback = localRunner(() => kube.get());
  let fellBack: FallbackReason | undefined;
  const runner: FlightRunner | undefined = socket ? serviceRunner(socket, fallback, (reason) => (fellBack = reason)) : undefined;
  const app = env['ARGOCD_APP_NAME'] ?? '(unknown)';
  const startedAt = new Date().toISOString();
  try {
    const outcome = await generate(env, process.cwd(), kube, runner);
    process.stdout.write(formatManifests(outcome.objects, 'yaml', maxRenderedBytes));
    if (socket) {
      await postRecord(socket, {
        app,
        refs: outcome.refs,
        outcome: 'ok',
        statusMessage: outcome.statusMessage,
        waiting: isWaiting(outcome),
        startedAt,
        ranAt: new Date().toISOString(),
        moduleDigest: outcome.moduleDigest,
      });
    }
  } catch (error) {
    reportFailure(error, `generate for Application ${app}`);
    if (socket && env['ARGOCD_APP_NAME']) {
      await postRecord(socket, { app, refs: [], outcome: 'failed', statusMessage: failureSummary(error), waiting: false, startedAt, ranAt: new Date().toISOString() });
    }
  } finally {
    if (socket && fellBack) await reportFallback(socket, fellBack);
    await kube.close();
  }
}

/** The commander definition; all input comes from Argo CD's environment, not flags. */
export function generateCommand(): Command {
  return new Command('generate').description('render the Application in the current directory for Argo CD (reads ARGOCD_* variables)').action(generateCommandAction);
}
