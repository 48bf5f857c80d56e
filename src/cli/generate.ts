// `jetway generate`: what Argo CD's cmp-server runs in the app's source directory; writes a YAML stream or fails loudly.

import { Command } from 'commander';
import { readAdminSettings } from '../argocd/admin.js';
import { generate, type ClusterSource } from '../argocd/generate.js';
import { Redactions } from '../argocd/redaction.js';
import { appOf, failedRecord, okRecord } from '../argocd/run-record.js';
import { localRunner, type FlightRunner } from '../flight/runner.js';
import { postRecord, reportFallback, serviceRunner } from '../service/client.js';
import type { FallbackReason } from '../service/protocol.js';
import { formatManifests } from '../stages/format.js';
import { reportFailure } from './fail.js';

/**
 * The cluster as the plugin container sees it: not at all. It unpacks app authors' repositories, so it holds no cluster
 * credentials (issue 14): lookups and `refs` are served by `jetway serve`, which resolves the app's destination cluster.
 * When the service is up but declined this generate (`declined`: its reason, a misconfiguration of the two containers),
 * the flight's lookups still run in it, but `refs` cannot be read here: the line then says what to fix.
 */
function lookupsNeedServe(socket: string | undefined, declined: string | undefined): Error {
  if (socket && declined) {
    return new Error(
      `refs and lookups read the cluster only through jetway serve, which declined this generate: ${declined}; once an admin has fixed that (the jetway containers, deploy/), refresh the app`,
    );
  }
  const where = socket ? `it did not take the request on JETWAY_SOCKET ${socket} (down, or declining: its log says why)` : 'JETWAY_SOCKET is not set';
  return new Error(
    `lookups need jetway serve (clusterAccess and refs read the cluster only through it) and ${where}: check the jetway-serve container beside the plugin (deploy/), then refresh the app`,
  );
}

/** A runner for flights without cluster access; one that asks for it fails at once with lookupsNeedServe. */
function clusterlessRunner(socket: string | undefined, declined: string | undefined): FlightRunner {
  const local = localRunner(() => Promise.resolve(undefined));
  return (module, spec) => (spec.clusterAccess ? Promise.reject(lookupsNeedServe(socket, declined)) : local(module, spec));
}

/**
 * Runs generate in this process (main.ts has already offered the whole generate to the service, which declined or is
 * down): the flight itself still runs in the service when JETWAY_SOCKET answers, and the service gets the run record.
 * Every failure, a bad admin setting included, ends in one line.
 */
async function generateCommandAction(declined: string | undefined): Promise<void> {
  const env = process.env;
  const app = appOf(env);
  const redactions = new Redactions();
  const startedAt = new Date().toISOString();
  let socket: string | undefined;
  let fellBack: FallbackReason | undefined;
  // the cluster the service resolved this run's lookups to: a failed generate's record names it as an ok one does
  let destination: string | undefined;
  try {
    const admin = readAdminSettings(env);
    socket = admin.socket;
    const fallback = clusterlessRunner(socket, declined);
    const runner: FlightRunner = socket
      ? serviceRunner(
          socket,
          fallback,
          (reason) => (fellBack = reason),
          (server) => (destination = server),
        )
      : fallback;
    const noCluster: ClusterSource = { get: () => Promise.reject(lookupsNeedServe(socket, declined)) };
    const outcome = await generate(env, admin, process.cwd(), noCluster, redactions, runner);
    process.stdout.write(formatManifests(outcome.objects, 'yaml', admin.maxRenderedBytes));
    if (socket) await postRecord(socket, okRecord(app, outcome, redactions, startedAt));
  } catch (error) {
    reportFailure(error, `generate for Application ${app}`, (text) => redactions.apply(text));
    if (socket && env['ARGOCD_APP_NAME']) await postRecord(socket, failedRecord(app, error, redactions, startedAt, destination));
  } finally {
    if (socket && fellBack) await reportFallback(socket, fellBack);
  }
}

/** The commander definition; all input comes from Argo CD's environment, not flags. `declined`: why jetway serve declined it. */
export function generateCommand(declined?: string): Command {
  return new Command('generate').description('render the Application in the current directory for Argo CD (reads ARGOCD_* variables)').action(() => generateCommandAction(declined));
}
