// Reads the settings of one process from its environment, once, validated: a bad one stops the process with one line naming it.

import { settingsTable, type Reader, type Settings, type SettingSpec } from './table.js';

export { defaultSocket, settingsTable, type Reader, type Settings, type SettingSpec } from './table.js';
export { SettingError } from './parsers.js';

/** Does `process` read this setting? */
function readsIt(spec: SettingSpec, process: Exclude<Reader, 'both'>): boolean {
  return spec.readBy === 'both' || spec.readBy === process;
}

/** The spec of one setting, by its key. */
function specOf<K extends keyof Settings>(key: K): SettingSpec<K> {
  return settingsTable.find((s) => s.key === key) as unknown as SettingSpec<K>;
}

/** Every setting, each parsed from `env`; settings `process` does not read keep their default (they are never checked there). */
export function readSettings(env: NodeJS.ProcessEnv, process: Exclude<Reader, 'both'>): Settings {
  const values = Object.create(null) as Record<string, unknown>;
  for (const spec of settingsTable) values[spec.key] = spec.parse(readsIt(spec, process) ? env[spec.name] : undefined, spec.name);
  return values as unknown as Settings;
}

/** One setting alone, for commands that need nothing else (`jetway status` needs only the socket). */
export function readSetting<K extends keyof Settings>(env: NodeJS.ProcessEnv, key: K): Settings[K] {
  const spec = specOf(key);
  return spec.parse(env[spec.name], spec.name);
}
