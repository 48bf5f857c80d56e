// The per-Application opt-in to syncs started by jetway after its hard refreshes: one annotation on the Application.

/** `jetway.dev/sync-after-refresh: "true"` on an Application: jetway serve syncs the new stage itself (issue 16). */
export const syncAfterRefreshAnnotation = 'jetway.dev/sync-after-refresh';

/** The opt-in as set: on, off (absent or "false"), or a value that is neither (reported, and treated as off). */
export type OptIn = 'on' | 'off' | { invalid: string };

/** Reads the opt-in from an Application's annotations. */
export function optInOf(annotations: Record<string, string> | undefined): OptIn {
  const value = annotations?.[syncAfterRefreshAnnotation];
  if (value === undefined || value === 'false') return 'off';
  if (value === 'true') return 'on';
  return { invalid: value };
}
