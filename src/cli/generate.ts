// `jetway generate`: what Argo CD's cmp-server runs in the app's source directory; writes a YAML stream or fails loudly.

import { Command } from 'commander';
import { readAdminSettings } from '../argocd/admin.js';
import { generate } from '../argocd/generate.js';
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
 */
async function generateCommandAction(): Promise<void> {
  const env = process.env;
  const { socket, maxRenderedBytes } = readAdminSettings(env);
  const kube = new LazyKube({ kubeconfig: env['JETWAY_KUBECONFIG'] });
  const fallback = localRunner(() => kube.get());
  let fellBack: FallbackReason | undefined;
  const runner: FlightRunner | undefined = socket ? serviceRunner(socket, fallback, (reason) => (fellBack = reason)) : undefined;
  const app = appOf(env);
  try {
    const outcome = await generate(env, process.cwd(), kube, runner);
    process.stdout.write(formatManifests(outcome.objects, 'yaml', maxRenderedBytes));
    if (socket) {
      await postRecord(socket, okRecord(app, outcome));
    }
  } catch (error) {
    reportFailure(error, `generate for Application ${app}`);
    if (socket && env['ARGOCD_APP_NAME']) {
      await postRecord(socket, failedRecord(app, error));
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
