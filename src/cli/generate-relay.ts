// `jetway generate` when `jetway serve` does the work: relay its answer, loading nothing else.

import { readAdminSettings } from '../argocd/admin.js';
import { generateInService } from '../service/client.js';

/**
 * Hands the whole generate to the service and writes its answer: manifests on stdout, or the failure on stderr with
 * exit 1. False when there is no service or it declined: the caller then runs generate in this process.
 */
export async function relayGenerate(env: NodeJS.ProcessEnv, cwd: string): Promise<boolean> {
  let socket: string | undefined;
  try {
    socket = readAdminSettings(env).socket;
  } catch {
    return false; // a bad setting: the in-process generate reports it
  }
  if (!socket) return false;
  const reply = await generateInService(socket, cwd, env);
  if (!reply) return false;
  if (reply.ok) process.stdout.write(reply.manifests);
  else {
    process.stderr.write(reply.stderr);
    process.exitCode = 1;
  }
  return true;
}
