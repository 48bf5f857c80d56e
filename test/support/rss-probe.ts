// Preloaded into `jetway generate` by the tenant sidecar: on exit, writes the process's peak RSS (all threads) in bytes.

import { writeFileSync } from 'node:fs';

const file = process.env['JETWAY_TEST_RSS_FILE'];
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
