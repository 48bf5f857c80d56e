// The words simulate prints: a few lines per step as it unfolds, and one line saying how it ended.

import { describeHealth } from '../stages/flight-status.js';
import type { KubeObject } from '../cluster/types.js';
import type { LookupRef } from '../host/refs.js';
import type { Ending, StepReport } from './loop.js';

/** Why: everything lands in the release namespace unless it says otherwise, so only another namespace is worth printing. */
function label(kind: string, name: string, namespace: string | undefined, home: string): string {
  return namespace && namespace !== home ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

/** Why: objects are named the same way in every line (and as lookups are), so a reader can match them up. */
function labels(objects: readonly KubeObject[], home: string): string {
  return objects.map((o) => label(o.kind ?? '', o.metadata?.name ?? '', o.metadata?.namespace, home)).join(', ');
}

/** Why: a lookup that found nothing is named like the object it looked for. */
function refLabels(refs: readonly LookupRef[], home: string): string {
  return refs.map((r) => label(r.kind, r.name, r.namespace, home)).join(', ');
}

/** Why: a flight that does not re-emit its input has no status, and that should read as such rather than as blank. */
function statusText(message: string | undefined): string {
  return message ?? '(none: the flight did not re-emit its input object with a status)';
}

/** Why: "after 1 step" reads better than "after 1 steps". */
function stepCount(n: number): string {
  return `${n} step${n === 1 ? '' : 's'}`;
}

/** Why: one block per step, printed as soon as the step is done, so a long simulation shows its progress. */
export function describeStep(report: StepReport, home: string): string {
  const lines = [`step ${report.step}: flight status: ${statusText(report.statusMessage)}`, `  ${describeHealth(report.health)}`];
  if (report.wave && report.wave.applied.length > 0) {
    lines.push(`  applied stage ${report.wave.index} of ${report.wave.count}: ${labels(report.wave.applied, home)}`);
  }
  for (const { object, outcome } of report.advanced) lines.push(`  ${labels([object], home)}: ${outcome}`);
  if (report.created) lines.push(`  nothing to apply; created from ${report.created.source}: ${labels(report.created.objects, home)}`);
  if (!report.wave && !report.created) lines.push('  nothing left to apply');
  return lines.join('\n') + '\n';
}

/** Why: the last line is what an author (or a script) reads first: settled, or exactly what it is stuck on. */
export function describeEnding(ending: Exclude<Ending, { outcome: 'failed' }>, home: string): string {
  const status = `flight status: ${statusText(ending.statusMessage)}`;
  switch (ending.outcome) {
    case 'settled':
      return `settled after ${stepCount(ending.steps)}: ${statusText(ending.statusMessage)}\n`;
    case 'max-steps':
      return `not settled after ${stepCount(ending.steps)} (--max-steps): every run so far had something to apply; ${status}\n`;
    case 'stuck': {
      const reasons = [
        ...(ending.failed.length > 0 ? [`${labels(ending.failed, home)} failed`] : []),
        ...(ending.missing.length > 0 ? [`waiting for ${refLabels(ending.missing, home)}, which nothing in the simulation creates (add it with --create FILE)`] : []),
      ];
      return `stopped at step ${ending.steps}: ${reasons.join('; ')}; ${status}\n`;
    }
  }
}
