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
import type { Report } from './report.js';

const scenarios: Array<[string, () => Promise<ScenarioResult>]> = [
  ['pipeline: jobs one, two, three to "all jobs have completed"', () => runPipelineScenario()],
  ['pipeline: job two fails, is fixed and re-run, to completion', () => runPipelineFailureScenario()],
  ['app: database, then the Secret, then the Deployment, to "ready"', () => runAppScenario()],
  ['fault: API server answers 500 during generates, then recovers', () => runApiFaultScenario({ fault: 'status-500' })],
  ['fault: API server does not answer within the flight timeout, then recovers', () => runApiFaultScenario({ fault: 'no-answer' })],
  ['fault: jetway serve killed mid-pipeline and restarted', () => runServiceKillScenario()],
  ['fault: a flight that times out, then one out of memory, then the pipeline again', () => runFlightLimitsScenario()],
  ['no selfHeal: stalls with the warning until Sync is pressed', () => runNoSelfHealScenario()],
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
