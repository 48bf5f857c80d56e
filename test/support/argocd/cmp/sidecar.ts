// The sidecar cmp-server: unpacks the repository, runs plugin.yaml's generate in a process group (argo-cd cmpserver/plugin/plugin.go).

import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { PluginCommand, PluginConfig } from './types.js';
import { pluginSocketName } from './plugin-config.js';
import { GO_SPACE, splitManifestStream } from './manifests.js';

/** A plugin command that failed; `message` is Argo CD's CmdError text. */
export class CmdError extends Error {
  override name = 'CmdError';
  constructor(
    message: string,
    readonly argv: string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export interface CmpServerOptions {
  plugin: PluginConfig;
  /** The sidecar container's own environment; the test process's env is never inherited. */
  baseEnv: Record<string, string>;
  /** The sidecar's TMPDIR; work dirs go to `<tmpDir>/_cmp_server/<uuid>`. Default os.tmpdir(). */
  tmpDir?: string;
  /** The request deadline (controller.repo.server.timeout.seconds) when the request brings none. Default 60 s. */
  deadlineMs?: number;
  /** Between SIGTERM and SIGKILL of a process group. Default 5 s. */
  killGraceMs?: number;
}

/** What the sidecar sends back: the split documents, plus generate's output for debugging. */
export interface CmpResponse {
  documents: unknown[];
  stdout: string;
  stderr: string;
}

/** One argocd-cmp-server sidecar running one plugin. */
export class CmpServer {
  readonly plugin: PluginConfig;
  /** How many times the generate command was started. */
  generateRuns = 0;
  private readonly reaping = new Set<Promise<void>>();

  constructor(private readonly options: CmpServerOptions) {
    this.plugin = options.plugin;
  }

  get socketName(): string {
    return pluginSocketName(this.plugin);
  }

  // GenerateManifest: fresh copy of the repository, init then generate, split stdout, clean up.
  async generate(request: { repoDir: string; appPath: string; env: string[]; deadlineAt?: number }): Promise<CmpResponse> {
    const deadline = request.deadlineAt ?? Date.now() + (this.options.deadlineMs ?? 60_000);
    const base = path.join(this.options.tmpDir ?? os.tmpdir(), '_cmp_server');
    await fs.mkdir(base, { recursive: true, mode: 0o700 });
    const workDir = path.join(base, randomUUID());
    await fs.mkdir(workDir, { mode: 0o755 });
    const groups: ProcessGroup[] = [];
    try {
      await copyTree(request.repoDir, workDir, this.plugin.preserveFileMode);
      const cwd = path.join(workDir, request.appPath);
      const env = { ...this.options.baseEnv };
      for (const entry of request.env) {
        const eq = entry.indexOf('=');
        if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
      if (this.plugin.init.command.length > 0) await this.run(this.plugin.init, cwd, env, deadline, groups);
      this.generateRuns++;
      const { stdout, stderr } = await this.run(this.plugin.generate, cwd, env, deadline, groups);
      return { documents: splitManifestStream(stdout), stdout, stderr };
    } finally {
      for (const group of groups) group.contextDone();
      await fs.rm(workDir, { recursive: true, force: true });
    }
  }

  // Waits until every process group of past requests is gone (SIGKILL comes killGraceMs after SIGTERM).
  async settle(): Promise<void> {
    await Promise.all(this.reaping);
  }

  // runCommand: direct exec in a new process group; the context's end TERMs the group, then KILLs it.
  private async run(cmd: PluginCommand, cwd: string, env: Record<string, string>, deadline: number, groups: ProcessGroup[]): Promise<{ stdout: string; stderr: string }> {
    const [file, ...rest] = cmd.command;
    const argv = [file!, ...rest, ...cmd.args];
    if (Date.now() >= deadline) throw new Error('context deadline exceeded');
    const child = execa(file!, argv.slice(1), {
      cwd,
      env,
      extendEnv: false,
      detached: true,
      stdin: 'ignore',
      stripFinalNewline: false,
      reject: false,
    });
    const group = new ProcessGroup(child.pid, this.options.killGraceMs ?? 5_000, this.reaping);
    groups.push(group);
    const timer = setTimeout(() => group.contextDone(), deadline - Date.now());
    const result = await child;
    group.exited = true;
    clearTimeout(timer);
    const stdout = result.stdout ?? '';
    const stderr = result.stderr ?? '';
    if (child.pid === undefined) throw new Error(startError(file!, result.code));
    if (result.exitCode !== 0) {
      const cause = result.signal !== undefined ? `signal: ${signalText(result.signal)}` : `exit status ${result.exitCode}`;
      const trimmed = stderr.trim();
      const text = `\`${argv.map(logArg).join(' ')}\` failed ${cause}${trimmed === '' ? '' : `: ${trimmed}`}`;
      throw new CmdError(text, argv, stdout.replace(/\n$/, ''), stderr);
    }
    return { stdout: stdout.replace(/\n$/, ''), stderr };
  }
}

// The goroutine runCommand starts per command: on ctx.Done SIGTERM the group, sleep, SIGKILL the group.
class ProcessGroup {
  exited = false;
  private done = false;

  constructor(
    private readonly pid: number | undefined,
    private readonly graceMs: number,
    private readonly reaping: Set<Promise<void>>,
  ) {}

  // Fires once, at the deadline or when the request ends, whichever comes first.
  contextDone(): void {
    if (this.done || this.pid === undefined) return;
    this.done = true;
    const pid = this.pid;
    if (!signal(-pid, 'SIGTERM')) return;
    // exec.CommandContext's own Cancel: Process.Kill() of the direct child if it is still running.
    if (!this.exited) signal(pid, 'SIGKILL');
    const reaped = (async () => {
      const until = Date.now() + this.graceMs;
      while (Date.now() < until && signal(-pid, 0)) await new Promise((r) => setTimeout(r, 20));
      signal(-pid, 'SIGKILL');
    })();
    this.reaping.add(reaped);
    void reaped.finally(() => this.reaping.delete(reaped));
  }
}

// process.kill that reports whether the target existed.
function signal(target: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, sig);
    return true;
  } catch {
    return false;
  }
}

// Go's exec error text when the command cannot be started.
function startError(file: string, code: string | undefined): string {
  if (code === 'ENOENT') {
    return file.includes('/') ? `fork/exec ${file}: no such file or directory` : `exec: "${file}": executable file not found in $PATH`;
  }
  return `fork/exec ${file}: ${code ?? 'unknown error'}`;
}

// syscall.Signal.String() for the signals a plugin meets.
function signalText(sig: string): string {
  const names: Record<string, string> = {
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGINT: 'interrupt',
    SIGHUP: 'hangup',
    SIGQUIT: 'quit',
    SIGABRT: 'aborted',
    SIGSEGV: 'segmentation fault',
    SIGPIPE: 'broken pipe',
  };
  return names[sig] ?? sig;
}

// GetCommandArgsToLog: `""` for empty args, strconv.Quote for args containing whitespace.
function logArg(arg: string): string {
  if (arg === '') return '""';
  if (!new RegExp(`[${GO_SPACE}]`).test(arg)) return arg;
  const escapes: Record<string, string> = {
    '\u0007': '\\a',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
    '"': '\\"',
    '\\': '\\\\',
  };
  let out = '';
  for (const ch of arg) {
    const cp = ch.codePointAt(0)!;
    if (escapes[ch] !== undefined) out += escapes[ch];
    else if (ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  }
  return `"${out}"`;
}

// The repo tarball round trip (Tgz + untar): dirs 0755, files 0644 unless preserveFileMode, symlinks kept.
async function copyTree(from: string, to: string, preserveFileMode: boolean): Promise<void> {
  for (const entry of await fs.readdir(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    const mode = async (fallback: number) => (preserveFileMode ? (await fs.stat(src)).mode & 0o7777 : fallback);
    if (entry.isDirectory()) {
      await fs.mkdir(dst, { mode: await mode(0o755) });
      await copyTree(src, dst, preserveFileMode);
    } else if (entry.isFile()) {
      await fs.writeFile(dst, await fs.readFile(src), { mode: await mode(0o644) });
    } else if (entry.isSymbolicLink()) {
      await fs.symlink(await fs.readlink(src), dst);
    }
  }
}
