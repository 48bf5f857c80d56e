// Settings for the platform team, read from the sidecar's environment so Application authors cannot lift them.

import { ParameterError } from '../params/flight-params.js';
import { readSettings, type Settings } from '../settings/settings.js';

/** The settings generate reads (every JETWAY_* setting lives in src/settings/table.ts; add new ones there). */
export type AdminSettings = Settings;

/** Reads and validates generate's settings once; a bad one stops generate with one line naming it. */
export function readAdminSettings(env: NodeJS.ProcessEnv): AdminSettings {
  return readSettings(env, 'generate');
}

/** Applies the ceilings: asking for more than the admin allows is an error, asking for nothing gets the ceiling. */
export function applyCeilings(
  admin: Pick<AdminSettings, 'maxMemoryMib' | 'maxTimeoutMs'>,
  app: { maxMemoryMib: number | undefined; timeoutMs: number | undefined },
): { maxMemoryMib: number | undefined; timeoutMs: number | undefined } {
  if (admin.maxMemoryMib !== undefined && app.maxMemoryMib !== undefined && app.maxMemoryMib > admin.maxMemoryMib) {
    throw new ParameterError('maxMemoryMib', String(app.maxMemoryMib), `at most ${admin.maxMemoryMib} (the admin ceiling JETWAY_MAX_MEMORY_MIB)`);
  }
  if (admin.maxTimeoutMs !== undefined && (app.timeoutMs === undefined || app.timeoutMs > admin.maxTimeoutMs)) {
    throw new ParameterError('timeout', app.timeoutMs === undefined ? 'none' : `${app.timeoutMs}ms`, `at most ${admin.maxTimeoutMs}ms (the admin ceiling JETWAY_MAX_TIMEOUT)`);
  }
  return { maxMemoryMib: app.maxMemoryMib ?? admin.maxMemoryMib, timeoutMs: app.timeoutMs };
}
