// Settings for the platform team, read from the sidecar's environment so Application authors cannot lift them.

import { deadlineUnder } from '../flight/runner.js';
import { ParameterError } from '../params/flight-params.js';
import { readSettings, type Settings } from '../settings/settings.js';

/** The settings generate reads (every JETWAY_* setting lives in src/settings/table.ts; add new ones there). */
export type AdminSettings = Settings;

/** Reads and validates generate's settings once; a bad one stops generate with one line naming it. */
export function readAdminSettings(env: NodeJS.ProcessEnv): AdminSettings {
  return readSettings(env, 'generate');
}

/**
 * Applies the ceilings: more memory than the admin allows is an error, no cap gets the ceiling; the run's deadline is its
 * timeout, or the admin's ceiling when it asks for none or a longer one (`timeoutClamped`: a timeout then names it).
 */
export function applyCeilings(
  admin: Pick<AdminSettings, 'maxMemoryMib' | 'maxTimeoutMs'>,
  app: { maxMemoryMib: number | undefined; timeoutMs: number | undefined },
): { maxMemoryMib: number | undefined; timeoutMs: number; timeoutClamped: boolean } {
  if (admin.maxMemoryMib !== undefined && app.maxMemoryMib !== undefined && app.maxMemoryMib > admin.maxMemoryMib) {
    throw new ParameterError('maxMemoryMib', String(app.maxMemoryMib), `at most ${admin.maxMemoryMib} (the admin ceiling JETWAY_MAX_MEMORY_MIB)`);
  }
  const deadline = deadlineUnder(app.timeoutMs, admin.maxTimeoutMs);
  return { maxMemoryMib: app.maxMemoryMib ?? admin.maxMemoryMib, timeoutMs: deadline.timeoutMs, timeoutClamped: deadline.clamped };
}
