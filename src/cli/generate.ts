// `jetway generate`: what Argo CD's cmp-server runs in the app's source directory; writes a YAML stream or fails loudly.

import { Command } from 'commander';
import { readAdminSettings } from '../argocd/admin.js';
import { generate } from '../argocd/generate.js';
import { Redactions } from '../argocd/redaction.js';
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

/** Runs generate, through the service when JETWAY_SOCKET answers, and tells the service what the run saw; every failure, a bad admin setting included, ends in one line. */
async function generateCommandAction(): Promise<void> {
  const env = process.env;
  const app = env['ARGOCD_APP_NAME'] ?? '(unknown)';
  const redactions = new Redactions();
  let socket: string | undefined;
  let kube: LazyKube | undefined;
  let fellBack: FallbackReason | undefined;
  try {
    const admin = readAdminSettings(env);
    socket = admin.socket;
    kube = new LazyKube({ kubeconfig: admin.kubeconfig });
    const fallback = localRunner(() => kube!.get());
    const runner: FlightRunner | undefined = socket ? serviceRunner(socket, fallback, (reason) => (fellBack = reason)) : undefined;
    const outcome = await generate(env, admin, process.cwd(), kube, redactions, runner);
    process.stdout.write(formatManifests(outcome.objects, 'yaml', admin.maxRenderedBytes));
    if (socket) {
      await postRecord(socket, {
        app,
        refs: outcome.refs,
        outcome: 'ok',
        statusMessage: outcome.statusMessage === undefined ? undefined : redactions.apply(outcome.statusMessage),
        waiting: isWaiting(outcome),
        ranAt: new Date().toISOString(),
        moduleDigest: outcome.moduleDigest,
      });
    }
  } catch (error) {
    reportFailure(error, `generate for Application ${app}`, (text) => redactions.apply(text));
    if (socket && env['ARGOCD_APP_NAME']) {
      const statusMessage = redactions.apply(failureSummary(error));
      await postRecord(socket, { app, refs: [], outcome: 'failed', statusMessage, waiting: false, ranAt: new Date().toISOString() });
    }
  } finally {
    if (socket && fellBack) await reportFallback(socket, fellBack);
    await kube?.close();
  }
}

/** The commander definition; all input comes from Argo CD's environment, not flags. */
export function generateCommand(): Command {
  return new Command('generate').description('render the Application in the current directory for Argo CD (reads ARGOCD_* variables)').action(generateCommandAction);
}
