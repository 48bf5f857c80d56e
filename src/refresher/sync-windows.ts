// AppProject.spec.syncWindows as Argo CD v3.5.1 applies them to automated syncs (pkg/apis/application/v1alpha1/types.go:
// SyncWindows.Matches, CanSync(isManual=false, no operation start), SyncWindow.active, scheduleOffsetByTimeZone).
// jetway's syncs are automated, so `manualSync` never lets one through, and they are only ever started (never resumed),
// so `syncOverrun` does not apply.

import { parseGoDuration } from '../params/duration.js';
import { firedWithin, maxWindowMs, parseCron } from './cron.js';

/** One entry of AppProject.spec.syncWindows, as stored. */
export interface SyncWindow {
  kind?: string;
  schedule?: string;
  duration?: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
  andOperator?: boolean;
  syncOverrun?: boolean;
}

/** What the window check needs of an Application. */
export interface WindowTarget {
  name: string;
  destination: { namespace?: string; server?: string; name?: string };
}

/** The verdict for an automated sync now: allowed, or denied saying by which window (or which window is invalid). */
export type WindowVerdict = { allowed: true; by?: string } | { allowed: false; why: string };

/**
 * gobwas/glob as Argo CD's globMatch uses it, without separators: `*` any run, `?` one character, `[...]` a class,
 * `{a,b}` alternatives; anything else literal. Why hand-written: the project has no glob dependency, and minimatch's
 * path semantics (`*` stops at `/`) would match a different set of cluster URLs than Argo CD does.
 */
function globRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = pattern.indexOf('}', i + 1);
      if (end < 0) out += '\\{';
      else {
        out += `(?:${pattern
          .slice(i + 1, end)
          .split(',')
          .map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|')})`;
        i = end;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

const globMatch = (pattern: string, value: string) => {
  try {
    return globRegex(pattern).test(value);
  } catch {
    return false; // an unparsable pattern matches nothing, as globMatch logs and returns false
  }
};

/** SyncWindows.Matches: applications, then clusters, then namespaces, OR-ed unless andOperator. */
export function matchingWindows(windows: SyncWindow[], app: WindowTarget): SyncWindow[] {
  return windows.filter((w) => {
    let matched = false;
    let isSet = false;
    if ((w.applications ?? []).length > 0) {
      isSet = true;
      matched = w.applications!.some((a) => globMatch(a, app.name));
    }
    if (w.andOperator && !matched && isSet) return false;
    if (!w.andOperator && matched) return true;
    if ((w.clusters ?? []).length > 0) {
      isSet = true;
      const { name, server } = app.destination;
      matched = w.clusters!.some((c) => (!!name && globMatch(c, name)) || (!!server && globMatch(c, server)));
    }
    if (isSet && w.andOperator && !matched) return false;
    if (!w.andOperator && matched) return true;
    if ((w.namespaces ?? []).length > 0) {
      matched = w.namespaces!.some((n) => globMatch(n, app.destination.namespace ?? ''));
    }
    return matched;
  });
}

/** scheduleOffsetByTimeZone: the zone's offset now, in ms; an unknown zone is UTC (Argo CD logs and uses UTC). */
function zoneOffsetMs(timeZone: string | undefined, now: Date): number {
  if (!timeZone || timeZone === 'UTC') return 0;
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(now);
    const offset = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(offset);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3]) * 60_000) : 0;
  } catch {
    return 0;
  }
}

/** A window's name in messages: its kind, schedule and duration. */
function describeWindow(w: SyncWindow): string {
  return `${w.kind ?? '?'} window "${w.schedule ?? ''}" for ${w.duration ?? '?'}${w.timeZone ? ` (${w.timeZone})` : ''}`;
}

/** SyncWindow.active; throws when the schedule or duration cannot be parsed (CanSync's error). */
function active(w: SyncWindow, now: Date): boolean {
  let schedule;
  try {
    schedule = parseCron(w.schedule ?? '');
  } catch (error) {
    throw new Error(`cannot parse schedule '${w.schedule ?? ''}': ${(error as Error).message}`, { cause: error });
  }
  const duration = parseGoDuration(w.duration ?? '');
  if ('error' in duration || duration.ms < 0) throw new Error(`cannot parse duration '${w.duration ?? ''}'`);
  if (duration.ms > maxWindowMs) throw new Error(`duration '${w.duration}' is longer than jetway checks (366 days)`);
  return firedWithin(schedule, new Date(now.getTime() + zoneOffsetMs(w.timeZone, now)), duration.ms);
}

/**
 * CanSync(isManual=false, operationStartTime=nil) over the windows matching the app: an active deny window denies; else
 * an active allow window allows; else any inactive allow window denies; else allowed. An invalid window denies (Argo CD
 * treats the error as "cannot sync").
 */
export function automatedSyncVerdict(windows: SyncWindow[] | undefined, app: WindowTarget, now: Date): WindowVerdict {
  const matching = matchingWindows(windows ?? [], app);
  if (matching.length === 0) return { allowed: true };
  const states: Array<{ w: SyncWindow; active: boolean }> = [];
  for (const w of matching) {
    try {
      states.push({ w, active: active(w, now) });
    } catch (error) {
      return { allowed: false, why: `invalid sync windows: ${describeWindow(w)}: ${(error as Error).message}` };
    }
  }
  const deny = states.find((s) => s.active && s.w.kind === 'deny');
  if (deny) return { allowed: false, why: `blocked by the active ${describeWindow(deny.w)}` };
  const allow = states.find((s) => s.active && s.w.kind === 'allow');
  if (allow) return { allowed: true, by: describeWindow(allow.w) };
  const closed = states.find((s) => !s.active && s.w.kind === 'allow');
  if (closed) return { allowed: false, why: `outside the ${describeWindow(closed.w)}` };
  return { allowed: true };
}
