// The benchmark's output: figures grouped by what they answer, printed as they come and rendered as one markdown report.

import { cpus, loadavg, totalmem } from 'node:os';

interface Row {
  what: string;
  value: string;
  note: string;
}

interface Section {
  title: string;
  rows: Row[];
}

/** Collects figures from one run, so every ratio compares numbers measured side by side. */
export class Report {
  private readonly sections: Section[] = [];

  // Why: each issue's figures read as one table; a new section starts one.
  section(title: string): void {
    this.sections.push({ title, rows: [] });
    process.stderr.write(`\n## ${title}\n`);
  }

  // Why: a duration, echoed at once so a long run shows progress.
  ms(what: string, ms: number, note = ''): number {
    this.add(what, `${ms.toFixed(1)} ms`, note);
    return ms;
  }

  // Why: ratios, memory and counts are figures too, but not durations.
  value(what: string, value: string, note = ''): void {
    this.add(what, value, note);
  }

  private add(what: string, value: string, note: string): void {
    const current = this.sections.at(-1);
    if (!current) throw new Error('Report.section must come first');
    current.rows.push({ what, value, note });
    process.stderr.write(`${what}: ${value} ${note}\n`);
  }

  // Why: the report names the machine, because figures mean nothing without it.
  markdown(): string {
    const cpu = cpus();
    const lines = [
      '# jetway benchmark',
      '',
      `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
      `Load average at the end of the run (1, 5, 15 min): ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${cpu.length} cores: above ${cpu.length}, other work shared the cores, so compare the ratios measured side by side rather than absolute times.`,
      'Every figure below comes from this one run of `npm run bench`.',
    ];
    for (const s of this.sections) {
      lines.push('', `## ${s.title}`, '', '| measurement | value | note |', '| --- | --- | --- |');
      for (const r of s.rows) lines.push(`| ${r.what} | ${r.value} | ${r.note} |`);
    }
    return lines.join('\n') + '\n';
  }
}

/** The middle value: robust against the one slow sample a GC pause makes. */
export function median(values: number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of the samples. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) throw new Error('no samples');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The median of `times` sequential runs of `fn`; `pauseMs` of idle time before each run is not timed. */
export async function timeIt(times: number, fn: () => unknown, pauseMs = 0): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    if (pauseMs > 0) await sleep(pauseMs);
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** The pause between warm requests, in which a pooled worker prepares its next instance as it would between syncs. */
export const idleBetweenRequestsMs = 150;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
