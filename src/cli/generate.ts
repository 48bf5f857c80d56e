// `jetway generate`: what Argo CD's cmp-server runs in the app's source directory; writes a YAML stream or fails loudly.

import { Command } from 'commander';
import { readAdminSettings } from '../argocd/admin.js';
import { generate } from '../argocd/generate.js';
import { Redactions } from '../argocd/redaction.js';
import { appOf, failedRecord, okRecord } from '../argocd/run-record.js';
import { LazyKube } from '../cluster/connect.js';
import { localRunner, type FlightRunner } from '../flight/render.js';
import { postRecord, reportFallback, serviceRunner } from '../service/client.js';
import type { FallbackReason } from '../service/protocol.js';
import { formatManifests } from '../stages/format.js';
import { reportFailure } from './fail.js';

/**
 * Runs generate in this process (main.ts has already offered the whole generate to the service, which declined or is
 * down): the flight itself still runs in the service when JETWAY_SOCKET answers, and the service gets the run record.
 * Every failure, a bad admin setting included, ends in one line.
 */
async function generateCommandAction(): Promise<void> {
  const env = process.env;
  const app = appOf(env);
  const redactions = new Redactions();
  const startedAt = new Date().toISOString();
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
    if (socket) await postRecord(socket, okRecord(app, outcome, redactions, startedAt));
  } catch (error) {
    reportFailure(error, `generate for Application ${app}`, (text) => redactions.apply(text));
    if (socket && env['ARGOCD_APP_NAME']) await postRecord(socket, failedRecord(app, error, redactions, startedAt));
  } finally {
    if (socket && fellBack) await reportFallback(socket, fellBack);
    await kube?.close();
  }
}

/** The commander definition; all input comes from Argo CD's environment, not flags. */
export function generateCommand(): Command {
  return new Command('generate').description('render the Application in the current directory for Argo CD (reads ARGOCD_* variables)').action(generateCommandAction);
}
