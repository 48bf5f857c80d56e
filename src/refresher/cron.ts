// The standard five-field cron schedules of Argo CD's sync windows (robfig/cron's parser with Minute | Hour | Dom | Month
// | Dow, as pkg/apis/application/v1alpha1/types.go builds it), enough to tell whether a window is open now.
//
// Why hand-written: the only question asked is "did the schedule fire within the last `duration`", and it must answer
// exactly as robfig/cron does (day-of-month OR day-of-week when both are restricted, `?`, month and weekday names, `7` as
// Sunday); a general cron library (cron-parser) would be a new dependency with its own extensions (seconds, `L`, `#`)
// that Argo CD rejects. No descriptors (`@daily`): Argo CD's parser is built without them.

/** One parsed schedule: the allowed values of each field, and whether day-of-month / day-of-week were `*` or `?`. */
export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  domStar: boolean;
  dowStar: boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const fields: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** A value of a field: a number or (month, weekday) a three-letter name. */
function value(text: string, f: FieldSpec): number {
  const named = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + f.min;
  if (!/^\d+$/.test(text)) throw new Error(`${f.name} "${text}" is not a number`);
  const n = Number(text);
  // robfig/cron accepts 7 for Sunday in the day-of-week field
  if (f.name === 'day of week' && n === 7) return 0;
  if (n < f.min || n > f.max) throw new Error(`${f.name} ${n} is outside ${f.min}-${f.max}`);
  return n;
}

/** One comma-separated part: `*`, `?`, `a`, `a-b`, each optionally `/step`. */
function part(text: string, f: FieldSpec, into: Set<number>): void {
  const [range, stepText, extra] = text.split('/');
  if (extra !== undefined) throw new Error(`${f.name} "${text}" has more than one "/"`);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1) throw new Error(`${f.name} "${text}" has a bad step`);
  let low: number;
  let high: number;
  if (range === '*' || range === '?') [low, high] = [f.min, f.max];
  else if (range!.includes('-')) {
    const [a, b] = range!.split('-');
    [low, high] = [value(a!, f), value(b!, f)];
    if (low > high) throw new Error(`${f.name} range "${range}" runs backwards`);
  } else {
    low = value(range!, f);
    // robfig/cron: "a/step" means a through the field's maximum
    high = stepText === undefined ? low : f.max;
  }
  for (let v = low; v <= high; v += step) into.add(v);
}

/** Parses a five-field schedule; throws an Error saying what is wrong, as Argo CD refuses the window. */
export function parseCron(schedule: string): CronSchedule {
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}: "${schedule}"`);
  const sets = parts.map((text, i) => {
    const set = new Set<number>();
    for (const p of text.split(',')) part(p, fields[i]!, set);
    return set;
  });
  const star = (text: string) => text.startsWith('*') || text.startsWith('?');
  return {
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek: sets[4]!,
    domStar: star(parts[2]!),
    dowStar: star(parts[4]!),
  };
}

/** Whether the schedule fires at the minute starting at `wall` (wall-clock time, read through its UTC fields). */
export function firesAt(s: CronSchedule, wall: Date): boolean {
  if (!s.minutes.has(wall.getUTCMinutes()) || !s.hours.has(wall.getUTCHours()) || !s.months.has(wall.getUTCMonth() + 1)) return false;
  const dom = s.daysOfMonth.has(wall.getUTCDate());
  const dow = s.daysOfWeek.has(wall.getUTCDay());
  // robfig/cron dayMatches: both must match if either field is a star, else either may
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

/** A window's longest duration checked minute by minute: longer windows are refused rather than scanned without bound. */
export const maxWindowMs = 366 * 24 * 3_600_000;

/**
 * SyncWindow.active: `schedule.Next(now - duration)` is before `now`, i.e. the schedule fired at a whole minute after
 * `now - duration` and before `now` (both wall-clock times in the window's time zone, as Date UTC fields).
 */
export function firedWithin(s: CronSchedule, wallNow: Date, durationMs: number): boolean {
  const start = wallNow.getTime() - durationMs;
  // Next returns the first whole minute strictly after its argument
  let minute = Math.floor(start / 60_000) * 60_000 + 60_000;
  for (; minute < wallNow.getTime(); minute += 60_000) if (firesAt(s, new Date(minute))) return true;
  return false;
}
