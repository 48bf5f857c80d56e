// Preloaded into `jetway generate` by the test sidecar: on exit, writes the process's peak RSS (all threads) in bytes.
// Linux's VmHWM, the peak of this program's own memory: getrusage's maxRSS also counts the memory of the parent at the
// fork before exec (the test process, which may have just archived a large repository).

import { readFileSync, writeFileSync } from 'node:fs';

/** VmHWM from /proc/self/status in bytes, or getrusage's maxRSS where there is no procfs. */
function peakRssBytes(): number {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // no procfs: maxRSS is the best there is
  }
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return Number(hwm ?? process.resourceUsage().maxRSS) * 1024;
}

const file = process.env['TEST_RSS_PROBE_FILE'];
if (file) process.on('exit', () => writeFileSync(file, String(peakRssBytes())));
