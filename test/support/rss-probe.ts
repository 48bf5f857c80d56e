// Preloaded into `jetway generate` by the test sidecar: on exit, writes the process's peak RSS (all threads) in bytes.
// Linux's VmHWM, the peak of this program's own memory: getrusage's maxRSS also counts the memory of the parent at the
// fork before exec (the test process, which may have just archived a large repository). Tests read a running process's
// peak (`jetway serve`) with peakRssBytes(pid).

import { readFileSync, writeFileSync } from 'node:fs';

/** VmHWM of a process (this one by default) in bytes; for this process, getrusage's maxRSS where there is no procfs. */
export function peakRssBytes(pid: number | 'self' = 'self'): number {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // no procfs: maxRSS is the best there is
  }
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return Number(hwm ?? (pid === 'self' ? process.resourceUsage().maxRSS : NaN)) * 1024;
}

const file = process.env['TEST_RSS_PROBE_FILE'];
if (file) process.on('exit', () => writeFileSync(file, String(peakRssBytes())));
