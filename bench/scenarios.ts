// Issue 7's figures: each Argo CD imitation scenario from start to completion, with the hard refreshes jetway made.

import { defaultTimings } from '../test/support/argocd/environment.js';
import {
  runApiFaultScenario,
  runAppScenario,
  runFlightLimitsScenario,
  runNoSelfHealScenario,
  runPipelineFailureScenario,
  runPipelineScenario,
  runServiceKillScenario,
  runWavesScenario,
  type ScenarioResult,
} from '../test/support/argocd/scenarios.js';
import { runLongPipelineScenario, runOptInWithoutSelfHealScenario, stageTimes, tenSteps } from '../test/support/argocd/sync-after-refresh-scenarios.js';
import { productionTimings } from '../test/support/argocd/environment.js';
import { median, type Report } from './report.js';

const scenarios: Array<[string, () => Promise<ScenarioResult>]> = [
  ['pipeline: jobs one, two, three to "all jobs have completed"', () => runPipelineScenario()],
  ['pipeline: job two fails, is fixed and re-run, to completion', () => runPipelineFailureScenario()],
  ['app: database, then the Secret, then the Deployment, to "ready"', () => runAppScenario()],
  ['fault: API server answers 500 during generates, then recovers', () => runApiFaultScenario({ fault: 'status-500' })],
  ['fault: API server does not answer within the flight timeout, then recovers', () => runApiFaultScenario({ fault: 'no-answer' })],
  ['fault: jetway serve killed mid-pipeline and restarted', () => runServiceKillScenario()],
  ['fault: a flight that times out, then one out of memory, then the pipeline again', () => runFlightLimitsScenario()],
  ['no selfHeal: stalls with the warning until Sync is pressed', () => runNoSelfHealScenario()],
  ['no selfHeal, jetway sync opt-in: jetway syncs jobs two and three unattended', () => runOptInWithoutSelfHealScenario()],
  ['stages as sync waves: the Deployment wave waits for the migration Job; pruning', () => runWavesScenario()],
];

// Why: users want to know how long orchestration takes end to end, and how many refresh cycles drove it.
export async function benchScenarios(report: Report): Promise<void> {
  const t = defaultTimings;
  report.section(
    `Argo CD imitation scenarios (real \`jetway serve\` and \`generate\`; Jobs run ${t.jobMs} ms, Deployments ${t.deploymentMs} ms, debounce ${t.debounceMs} ms, min interval ${t.minIntervalMs} ms)`,
  );
  for (const [name, run] of scenarios) {
    const result = await run();
    const generates = result.timeline.of('generated').filter((g) => g.result !== 'cached').length;
    report.ms(name, result.wallMs, `${result.refreshCycles} hard refreshes by jetway; ${generates} generates`);
  }
}

/** How long the self-heal backoff makes stage `n` (1-based) of a pipeline on one commit wait at most, in Argo CD v3.5.1. */
function selfHealWaitMs(n: number): number {
  const { baseMs, factor, capMs } = productionTimings.selfHealBackoff;
  // stage 1 is the revision's first sync, stage 2 the first self-heal (no wait); then 2 s, 6 s, 18 s, ... at most 300 s
  return n <= 2 ? 0 : Math.min(capMs, baseMs * factor ** (n - 3));
}

// Why: issue 16: a ten-stage pipeline on one commit, with jetway's sync opt-in and without it (selfHeal on), under
// Argo CD's default self-heal backoff; without the opt-in the run stops after a budget, as the backoff reaches minutes.
export async function benchLongPipeline(report: Report): Promise<void> {
  const jobMs = 300;
  report.section(`Ten stages on one commit (issue 16): Jobs ${jobMs} ms, Argo CD's default self-heal backoff (2 s ×3, at most 300 s), debounce ${defaultTimings.debounceMs} ms`);
  const withOptIn = await runLongPipelineScenario({ optIn: true, jobMs });
  const stages = stageTimes(withOptIn, 'pipeline', tenSteps);
  const total = stages.at(-1)!.completed - stages[0]!.created;
  const syncs = withOptIn.timeline.of('sync-finished').map((f) => {
    const started = withOptIn.timeline
      .of('sync-started')
      .filter((s) => s.at < f.at)
      .at(-1)!;
    return f.at - started.at;
  });
  const bound = stages.length * (jobMs + defaultTimings.debounceMs + median(stages.map((s) => s.generateMs)) + median(syncs));
  const within = stages.length === tenSteps.length && total <= bound;
  report.ms(
    'with the opt-in: first Job created to last Job completed',
    total,
    `${stages.length} stages; bound 10 × (job + debounce + median generate + median sync) = ${bound.toFixed(0)} ms: ${within ? 'within' : 'NOT within'} the bound`,
  );
  // issue 16's other half: no stage's sync waits on the backoff, whose first wait is 2 s
  const longest = Math.max(...stages.map((s) => s.syncDelayMs));
  const firstWait = productionTimings.selfHealBackoff.baseMs;
  report.value(
    "with the opt-in: longest wait from a stage's generate to its sync",
    `${longest.toFixed(0)} ms`,
    `${longest < firstWait ? 'no' : 'a'} stage waited on the backoff (its waits are 2 s, 6 s, 18 s, ...)`,
  );
  for (const s of stages) report.ms(`with the opt-in: stage ${s.step}`, s.waitedMs, `after the previous Job completed; synced ${s.syncDelayMs.toFixed(0)} ms after its generate, by ${s.syncedBy}`);
  const budgetMs = 40_000;
  const without = await runLongPipelineScenario({ optIn: false, jobMs, budgetMs });
  const reached = stageTimes(without, 'pipeline', tenSteps);
  for (const s of reached) report.ms(`without the opt-in: stage ${s.step}`, s.waitedMs, `after the previous Job completed; synced ${s.syncDelayMs.toFixed(0)} ms after its generate, by ${s.syncedBy}`);
  const projected = tenSteps.slice(reached.length).reduce((sum, _, i) => sum + selfHealWaitMs(reached.length + i + 1), 0);
  report.value(
    'without the opt-in: stages reached in the budget',
    `${reached.length} of ${tenSteps.length}`,
    `budget ${budgetMs / 1000} s; the remaining stages would wait at least ${(projected / 1000).toFixed(0)} s more on the backoff`,
  );
}
