// What happened, when: every actor of the imitation writes here, and scenarios assert order properties over it.

/**
 * One thing that happened; `at` is milliseconds since the timeline started, fractional and strictly increasing, so
 * comparing two entries' `at` tells their order even within one millisecond. A `generated` entry is one manifest request
 * to the repo-server: `ran` (generate ran), `cached` (served from the manifest cache; with `error` when generation is
 * paused after repeated failures) or `failed`.
 */
export type TimelineEntry = { at: number } & (
  | { what: 'refresh-patched'; app: string; refresh: string }
  | { what: 'generated'; app: string; refresh: 'normal' | 'hard'; result: 'ran' | 'cached' | 'failed'; durationMs: number; objects: string[]; error?: string }
  | { what: 'compared'; app: string; sync: string; health: string }
  | { what: 'sync-started'; app: string; selfHeal: boolean; initiatedBy: string; automated: boolean; revision: string; resources: string[] }
  | { what: 'wave-applied'; app: string; wave: number; resources: string[] }
  | { what: 'created' | 'updated' | 'pruned' | 'deleted'; app: string; resource: string }
  | { what: 'sync-failed'; app: string; message: string }
  | { what: 'sync-retried'; app: string; attempt: number }
  | { what: 'sync-finished'; app: string; phase: string; message: string }
  | { what: 'application-deleted'; app: string }
  | { what: 'job-completed' | 'job-failed' | 'deployment-available' | 'secret-published' | 'garbage-collected'; resource: string; message?: string }
  | { what: 'service-started' | 'service-killed'; pid: number }
  | { what: 'user'; action: string }
);

/** A timeline entry without its timestamp, as actors report it. */
export type TimelineEvent = TimelineEntry extends infer E ? (E extends TimelineEntry ? Omit<E, 'at'> : never) : never;

/** The ordered record of one scenario. */
export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private readonly start = performance.now();

  // Why: one clock for every actor, so orders across actors are comparable; never equal to the entry before it, so a
  // scenario that records "fault off" right after seeing a failure can assert the failure came first.
  add(event: TimelineEvent): void {
    const last = this.entries.at(-1)?.at ?? -Infinity;
    this.entries.push({ at: Math.max(this.now(), last + 0.001), ...event });
  }

  /** Milliseconds since the timeline started. */
  now(): number {
    return performance.now() - this.start;
  }

  /** Entries of one kind, in order. */
  of<W extends TimelineEntry['what']>(what: W): Array<TimelineEntry & { what: W }> {
    return this.entries.filter((e): e is TimelineEntry & { what: W } => e.what === what);
  }

  /** When the first entry of a kind (about `resource`, e.g. "Job/pipeline-two", when given) happened; Infinity if never. */
  first(what: TimelineEntry['what'], resource?: string): number {
    const entry = this.entries.find((e) => e.what === what && (resource === undefined || ('resource' in e && e.resource === resource)));
    return entry?.at ?? Infinity;
  }

  /** The largest number of Jobs that existed unfinished at the same time (created, not yet completed or failed). */
  maxActiveJobs(): number {
    const active = new Set<string>();
    let max = 0;
    for (const e of this.entries) {
      if (e.what === 'created' && e.resource.startsWith('Job/')) active.add(e.resource);
      if (e.what === 'job-completed' || e.what === 'job-failed' || ((e.what === 'pruned' || e.what === 'deleted') && e.resource.startsWith('Job/'))) active.delete(e.resource);
      max = Math.max(max, active.size);
    }
    return max;
  }

  /** A readable dump for failure messages. */
  toString(): string {
    return this.entries.map(({ at, what, ...rest }) => `${at.toFixed(3).padStart(10)} ms  ${what} ${JSON.stringify(rest)}`).join('\n');
  }
}
