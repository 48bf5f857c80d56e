// The jetway binary as a user runs it: a subprocess, its exit code and both streams, never throwing on failure.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { execa } from 'execa';
import { repoPath } from './paths.js';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// Why: every CLI test asserts on what a user would see, so each gets exit code and output the same way.
export async function jetway(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const result = await execa(process.execPath, [repoPath('dist/src/cli/main.js'), ...args], {
    cwd: options.cwd ?? repoPath(''),
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    env: { KUBECONFIG: '/nonexistent' },
  });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A temporary folder for the current test file, removed after it; read `.path` inside tests. */
export function scratchDir(prefix: string): { path: string } {
  const dir = { path: '' };
  before(async () => {
    dir.path = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(dir.path, { recursive: true, force: true });
  });
  return dir;
}
