// `npm run bench`: every speed and memory figure measured side by side in one run, written as one markdown report.
// `npm run bench -- replicas refresher` runs only the named sections and prints their report without writing it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root } from './flight.js';
import { benchGenerate } from './generate.js';
import { benchRefresher } from './refresher.js';
import { benchReplicas } from './replicas.js';
import { Report } from './report.js';
import { benchRuntime, type RuntimeFigures } from './runtime.js';
import { benchLongPipeline, benchScenarios } from './scenarios.js';
import { benchService } from './service.js';

const sections = ['runtime', 'service', 'generate', 'refresher', 'replicas', 'scenarios', 'long-pipeline'];
const { positionals } = parseArgs({ allowPositionals: true });
const unknown = positionals.filter((p) => !sections.includes(p));
if (unknown.length > 0) {
  process.stderr.write(`unknown bench section ${unknown.join(', ')}: the sections are ${sections.join(', ')}\n`);
  process.exit(2);
}
const wanted = (name: string) => positionals.length === 0 || positionals.includes(name);

const report = new Report();
// the service section compares against the runtime's figures, so it brings them along
let runtime: RuntimeFigures | undefined;
if (wanted('runtime') || wanted('service')) runtime = await benchRuntime(report);
if (wanted('service')) await benchService(report, runtime!);
if (wanted('generate')) await benchGenerate(report);
if (wanted('refresher')) await benchRefresher(report);
if (wanted('replicas')) await benchReplicas(report);
if (wanted('scenarios')) await benchScenarios(report);
if (wanted('long-pipeline')) await benchLongPipeline(report);

const markdown = report.markdown();
process.stdout.write(markdown);
if (positionals.length === 0) {
  const file = join(root, 'docs/benchmark.md');
  writeFileSync(file, markdown);
  process.stderr.write(`\nwritten to ${file}\n`);
} else {
  process.stderr.write(`\nsections ${positionals.join(', ')} only: docs/benchmark.md is left as it is (it holds one full run)\n`);
}
