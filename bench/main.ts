// `npm run bench`: every speed and memory figure measured side by side in one run, written as one markdown report.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './flight.js';
import { benchGenerate } from './generate.js';
import { benchRefresher } from './refresher.js';
import { Report } from './report.js';
import { benchRuntime } from './runtime.js';
import { benchLongPipeline, benchScenarios } from './scenarios.js';
import { benchService } from './service.js';

const report = new Report();
const runtime = await benchRuntime(report);
await benchService(report, runtime);
await benchGenerate(report);
await benchRefresher(report);
await benchScenarios(report);
await benchLongPipeline(report);

const markdown = report.markdown();
const file = join(root, 'docs/benchmark.md');
writeFileSync(file, markdown);
process.stdout.write(markdown);
process.stderr.write(`\nwritten to ${file}\n`);
