// `jetway generate` when `jetway serve` does the work: relay its answer, loading nothing else.

import { readAdminSettings } from '../argocd/admin.js';
import { generateInService } from '../service/client.js';

/** What became of the offer: relayed (the answer is written), or not, with the service's reason when it declined. */
export type Relay = { relayed: true } | { relayed: false; declined?: string };

/**
 * Hands the whole generate to the service and writes its answer: manifests on stdout, or the failure on stderr with
 * exit 1. Not relayed when there is no service or it declined: the caller then runs generate in this process.
 */
export async function relayGenerate(env: NodeJS.ProcessEnv, cwd: string): Promise<Relay> {
  let socket: string | undefined;
  try {
    socket = readAdminSettings(env).socket;
  } catch {
    return { relayed: false }; // a bad setting: the in-process generate reports it
  }
  if (!socket) return { relayed: false };
  const reply = await generateInService(socket, cwd, env);
  if (!reply) return { relayed: false };
  if ('declined' in reply) return { relayed: false, declined: reply.declined };
  if (reply.ok) process.stdout.write(reply.manifests);
  else {
    process.stderr.write(reply.stderr);
    process.exitCode = 1;
  }
  return { relayed: true };
}
