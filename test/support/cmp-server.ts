// A faithful imitation of Argo CD's sidecar cmp-server and of the repo-server around it, for tests.
// Facts come from argo-cd (cmpserver/plugin/plugin.go, config.go, reposerver/repository/repository.go,
// pkg/apis/application/v1alpha1/types.go, util/io/files/tar.go), apimachinery v0.36.1 (util/yaml/decoder.go,
// apis/meta/v1/unstructured) and sigs.k8s.io/yaml v1.6.0, as pinned by argo-cd's go.mod.

import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';

// ---------------------------------------------------------------------------------------------
// Public shapes

/** One `command` + `args` block of plugin.yaml. */
export interface PluginCommand {
  command: string[];
  args: string[];
}

/** The parts of a ConfigManagementPlugin (plugin.yaml) that the cmp-server acts on. */
export interface PluginConfig {
  name: string;
  version: string;
  init: PluginCommand;
  generate: PluginCommand;
  preserveFileMode: boolean;
  /** `spec.parameters.static` as written; announced to the UI only, never sent back to generate. */
  staticParameters: Record<string, unknown>[];
}

/** One `spec.source.plugin.parameters` entry of an Application. */
export interface PluginParameter {
  name: string;
  string?: string;
  array?: string[];
  map?: Record<string, string>;
}

/** The fields of an Argo CD Application that manifest generation reads. */
export interface Application {
  name: string;
  /** The Application's own namespace; defaults to the Argo CD namespace. */
  namespace?: string;
  project: string;
  /** `spec.destination.namespace`. */
  destinationNamespace?: string;
  source: {
    repoURL: string;
    path: string;
    targetRevision?: string;
    plugin?: {
      name?: string;
      env?: { name: string; value: string }[];
      parameters?: PluginParameter[];
    };
  };
  /** The commit SHA the target revision resolved to. */
  revision: string;
}

/** What the controller knows about the destination cluster (part of the cache key). */
export interface ClusterInfo {
  kubeVersion: string;
  apiVersions: string[];
}

// ---------------------------------------------------------------------------------------------
// plugin.yaml

// Reads a plugin.yaml the way ReadPluginConfig does: unknown keys ignored, kind/name/generate required.
export function parsePluginConfig(text: string): PluginConfig {
  const root = record(yaml.load(text), 'plugin.yaml');
  const metadata = record(root.metadata, 'metadata');
  const spec = record(root.spec, 'spec');
  const parameters = record(spec.parameters, 'spec.parameters');
  const config: PluginConfig = {
    name: scalar(metadata.name, 'metadata.name'),
    version: scalar(spec.version, 'spec.version'),
    init: command(spec.init, 'spec.init'),
    generate: command(spec.generate, 'spec.generate'),
    preserveFileMode: spec.preserveFileMode === true,
    staticParameters: list(parameters.static, 'spec.parameters.static').map((p) => record(p, 'parameter')),
  };
  const kind = scalar(root.kind, 'kind');
  if (config.name === '') throw new Error('invalid plugin configuration file. metadata.name should be non-empty');
  if (kind !== 'ConfigManagementPlugin') {
    throw new Error(`invalid plugin configuration file. kind should be ConfigManagementPlugin, found ${kind}`);
  }
  if (config.generate.command.length === 0) {
    throw new Error('invalid plugin configuration file. spec.generate command should be non-empty');
  }
  return config;
}

// Reads plugin.yaml from disk, as the sidecar does at start.
export async function readPluginConfig(file: string): Promise<PluginConfig> {
  return parsePluginConfig(await fs.readFile(file, 'utf8'));
}

// The name an Application must put in spec.source.plugin.name: the socket is `<name>[-<version>].sock`.
export function pluginSocketName(config: PluginConfig): string {
  return config.version === '' ? config.name : `${config.name}-${config.version}`;
}

// Accepts a YAML mapping (or nothing) as a record, like Go's lenient struct decoding.
function record(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected a mapping`);
  return value as Record<string, unknown>;
}

// Accepts a YAML sequence (or nothing) as an array.
function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${where}: expected a sequence`);
  return value;
}

// Accepts a YAML scalar (or nothing) as a string, like a Go string field.
function scalar(value: unknown, where: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') throw new Error(`${where}: expected a string`);
  return String(value);
}

// Reads a `command`/`args` block into string lists.
function command(value: unknown, where: string): PluginCommand {
  const block = record(value, where);
  const strings = (v: unknown, key: string) => list(v, `${where}.${key}`).map((s) => scalar(s, `${where}.${key}`));
  return { command: strings(block.command, 'command'), args: strings(block.args, 'args') };
}

// ---------------------------------------------------------------------------------------------
// The environment the repo-server sends (newEnv + getPluginEnvs + getPluginParamEnvs)

// Builds the `NAME=value` list the repo-server streams to the sidecar, in Argo CD's order.
export function buildRequestEnv(app: Application, cluster: ClusterInfo, argocdNamespace = 'argocd'): string[] {
  const src = app.source;
  const build: [string, string][] = [
    ['ARGOCD_APP_NAME', instanceName(app, argocdNamespace)],
    ['ARGOCD_APP_NAMESPACE', app.destinationNamespace ?? ''],
    ['ARGOCD_APP_PROJECT_NAME', app.project],
    ['ARGOCD_APP_REVISION', app.revision],
    ['ARGOCD_APP_REVISION_SHORT', app.revision.slice(0, 7)],
    ['ARGOCD_APP_REVISION_SHORT_8', app.revision.slice(0, 8)],
    ['ARGOCD_APP_SOURCE_REPO_URL', src.repoURL],
    ['ARGOCD_APP_SOURCE_PATH', src.path],
    ['ARGOCD_APP_SOURCE_TARGET_REVISION', src.targetRevision ?? ''],
    ['KUBE_VERSION', kubeVersion(cluster.kubeVersion)],
    ['KUBE_API_VERSIONS', cluster.apiVersions.join(',')],
  ];
  const vars = new Map(build);
  const env = build.map(([k, v]) => `${k}=${v}`);
  if (src.plugin === undefined) return env;
  for (const entry of src.plugin.env ?? []) {
    env.push(`ARGOCD_ENV_${entry.name}=${goExpand(entry.value, (name) => (name === '$' ? '$' : vars.get(name) ?? ''))}`);
  }
  return [...env, ...parameterEnv(src.plugin.parameters ?? [])];
}

// Argo CD passes `<appNamespace>_<name>` for Applications outside its own namespace (InstanceName).
function instanceName(app: Application, argocdNamespace: string): string {
  return app.namespace === undefined || app.namespace === '' || app.namespace === argocdNamespace
    ? app.name
    : `${app.namespace}_${app.name}`;
}

// KUBE_VERSION is the cluster version normalised by k8s.io/apimachinery version.ParseGeneric(...).String().
function kubeVersion(version: string): string {
  if (version === '') return '';
  const m = /^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)*$/.exec(version);
  const parts = m?.[1]?.split('.') ?? [];
  if (parts.length < 2) throw new Error(`could not parse kubernetes version ${version}: illegal version string "${version}"`);
  return parts.map((p) => String(Number.parseInt(p, 10))).join('.');
}

// ApplicationSourcePluginParameters.Environ: one JSON array (Go json.Marshal: sorted keys) plus PARAM_* variables.
function parameterEnv(params: PluginParameter[]): string[] {
  // An empty list travels over gRPC as nil, which json.Marshal writes as `null`.
  const json = params.length === 0 ? 'null' : goJson(params.map(parameterJson));
  const env = [`ARGOCD_APP_PARAMETERS=${json}`];
  for (const p of params) {
    const base = `PARAM_${escapeParamName(p.name)}`;
    if (p.string !== undefined) env.push(`${base}=${p.string}`);
    for (const [k, v] of Object.entries(p.map ?? {})) env.push(`${base}_${escapeParamName(k)}=${v}`);
    (p.array ?? []).forEach((v, i) => env.push(`${base}_${i}=${v}`));
  }
  return env;
}

// ApplicationSourcePluginParameter.MarshalJSON: name always, the other keys only when set.
function parameterJson(p: PluginParameter): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name };
  if (p.string !== undefined) out.string = p.string;
  if (p.map !== undefined) out.map = p.map;
  if (p.array !== undefined) out.array = p.array;
  return out;
}

// `escaped` in types.go: upper-case, then every char outside [A-Z0-9_] becomes `_`.
function escapeParamName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

// os.Expand, which Env.Envsubst uses: `$NAME`, `${NAME}`, `${}`/`${` eaten, `$` before a non-name kept.
export function goExpand(s: string, lookup: (name: string) => string): string {
  let out = '';
  let i = 0;
  for (let j = 0; j < s.length; j++) {
    if (s[j] !== '$' || j + 1 >= s.length) continue;
    out += s.slice(i, j);
    const [name, width] = shellName(s.slice(j + 1));
    if (name === '' && width === 0) out += '$';
    else if (name !== '') out += lookup(name);
    j += width;
    i = j + 1;
  }
  return out + s.slice(i);
}

// os.getShellName: the variable name after `$` and how many bytes it spans.
function shellName(s: string): [string, number] {
  const special = (c: string | undefined) => c !== undefined && '*#$@!?-0123456789'.includes(c);
  if (s[0] === '{') {
    if (s.length > 2 && special(s[1]) && s[2] === '}') return [s.slice(1, 2), 3];
    const close = s.indexOf('}', 1);
    if (close === 1) return ['', 2];
    return close === -1 ? ['', 1] : [s.slice(1, close), close + 1];
  }
  if (special(s[0])) return [s.slice(0, 1), 1];
  const width = /^[A-Za-z0-9_]*/.exec(s)?.[0].length ?? 0;
  return [s.slice(0, width), width];
}

// Go's encoding/json Marshal of maps and slices: keys sorted, compact, `<>&` and U+2028/9 escaped.
export function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
    return `{${keys.map((k) => `${goJson(k)}:${goJson(rec[k])}`).join(',')}}`;
  }
  const json = JSON.stringify(value) ?? 'null';
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---------------------------------------------------------------------------------------------
// Parsing generate's stdout

/** A failure to turn stdout into manifests; `message` is Argo CD's text. */
export class ManifestParseError extends Error {
  override name = 'ManifestParseError';
}

// sigs.k8s.io/yaml uses yaml.v2, where y/yes/on/n/no/off (any case form) are booleans, unlike js-yaml's YAML 1.2.
const yaml11Bool = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && YAML11_BOOLS.has(data),
  construct: (data: string) => /^(y|yes|on|true)$/i.test(data),
  predicate: (v: unknown) => typeof v === 'boolean',
  represent: (v: object) => String(v),
});
const YAML11_BOOLS = new Set(
  ['y', 'yes', 'on', 'true', 'n', 'no', 'off', 'false'].flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)]),
);
const GO_YAML_SCHEMA = yaml.DEFAULT_SCHEMA.extend({ implicit: [yaml11Bool] });
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

// kube.SplitYAMLToString in the sidecar: a JSON stream when stdout starts with `{`, else a YAML stream; empty and `null` documents dropped.
export function splitManifestStream(stdout: string): unknown[] {
  const docs: unknown[] = [];
  let pos = 0;
  let firstError: string | undefined;
  if (new RegExp(`^[${GO_SPACE}]*\\{`).test(stdout)) {
    let count = 0;
    for (;;) {
      const start = skipJsonSpace(stdout, pos);
      if (start === stdout.length) return docs;
      let value: unknown;
      try {
        const end = scanJsonValue(stdout, start);
        value = JSON.parse(stdout.slice(start, end));
        pos = end;
      } catch (e) {
        // YAMLOrJSONDecoder: after more than one JSON document the stream is JSON for sure; else retry as YAML.
        if (count > 1) throw new ManifestParseError(`failed to unmarshal manifest: ${message(e)}`);
        firstError = `json: offset ${start + 1}: ${message(e)}`;
        break;
      }
      count++;
      if (value !== null) docs.push(value);
    }
    // consumeWhitespace: eat blanks up to and including the first newline before switching to YAML.
    const blank = new RegExp(`^[${GO_SPACE}]*?(\\n|(?=[^${GO_SPACE}])|$)`).exec(stdout.slice(pos));
    pos += blank?.[0].length ?? 0;
  }
  for (const doc of yamlDocuments(stdout.slice(pos))) {
    let value: unknown;
    try {
      value = yaml.load(doc, { schema: GO_YAML_SCHEMA });
    } catch (e) {
      throw new ManifestParseError(`failed to unmarshal manifest: ${firstError ?? `error converting YAML to JSON: yaml: ${message(e)}`}`);
    }
    firstError = undefined;
    if (value !== null && value !== undefined) docs.push(value);
  }
  return docs;
}

// YAMLReader.Read: documents split on lines starting with `---`, which may only be followed by a comment.
function yamlDocuments(text: string): string[] {
  const docs: string[] = [];
  let current = '';
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith('---')) {
      const rest = line.slice(3).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        throw new ManifestParseError(`failed to unmarshal manifest: invalid Yaml document separator: ${rest}`);
      }
      if (current !== '') {
        docs.push(current);
        current = '';
        continue;
      }
    }
    current += line;
  }
  if (current !== '') docs.push(current);
  return docs;
}

// Go's json.Decoder skips only these four bytes between values.
function skipJsonSpace(s: string, pos: number): number {
  while (pos < s.length && ' \t\r\n'.includes(s[pos]!)) pos++;
  return pos;
}

// Finds where the JSON value starting at `start` ends (strings, nesting and bare literals), for JSON.parse to validate.
function scanJsonValue(s: string, start: number): number {
  let depth = 0;
  let i = start;
  do {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
      if (i >= s.length) throw new Error('unexpected end of JSON input');
      i++;
    } else if (c === '{' || c === '[') {
      depth++;
      i++;
    } else if (c === '}' || c === ']') {
      depth--;
      i++;
    } else if (depth === 0) {
      const literal = /^[^\s{}[\]",:]+/.exec(s.slice(i));
      if (literal === null) throw new Error(`invalid character '${c}' looking for beginning of value`);
      i += literal[0].length;
    } else {
      i++;
    }
  } while (depth > 0 && i < s.length);
  if (depth > 0) throw new Error('unexpected end of JSON input');
  return i;
}

// The repo-server's second pass (kube.SplitYAML into Unstructured) and GenerateManifests' List flattening.
export function toManifests(documents: unknown[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const doc of documents) {
    const obj = unstructured(doc);
    const items = obj.items;
    if (Array.isArray(items)) {
      for (const item of items) {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          throw new ManifestParseError('items member is not an object: map[string]interface {}');
        }
        out.push(item as Record<string, unknown>);
      }
    } else if (!(items === null && 'items' in obj && !('spec' in obj) && !('status' in obj))) {
      out.push(obj);
    }
  }
  return out;
}

// Unstructured.UnmarshalJSON: a JSON object whose kind is set and whose apiVersion parses.
function unstructured(doc: unknown): Record<string, unknown> {
  const wrap = (inner: string) =>
    new ManifestParseError(
      `failed to convert CMP manifests to unstructured objects: failed to unmarshal manifest: error unmarshaling JSON: while decoding JSON: ${inner}`,
    );
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    const type = Array.isArray(doc) ? 'array' : typeof doc === 'boolean' ? 'bool' : typeof doc;
    throw wrap(`json: cannot unmarshal ${type} into Go value of type map[string]interface {}`);
  }
  const obj = doc as Record<string, unknown>;
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kindless = typeof obj.kind !== 'string' || obj.kind === '' || apiVersion.split('/').length > 2;
  if (kindless) throw wrap(`Object 'Kind' is missing in '${goJson(obj)}'`);
  return obj;
}

// The text of a thrown value.
function message(e: unknown): string {
  return e instanceof yaml.YAMLException ? e.reason : e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// The sidecar

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
  private async run(
    cmd: PluginCommand,
    cwd: string,
    env: Record<string, string>,
    deadline: number,
    groups: ProcessGroup[],
  ): Promise<{ stdout: string; stderr: string }> {
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
    SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGHUP: 'hangup', SIGQUIT: 'quit',
    SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGPIPE: 'broken pipe',
  };
  return names[sig] ?? sig;
}

// GetCommandArgsToLog: `""` for empty args, strconv.Quote for args containing whitespace.
function logArg(arg: string): string {
  if (arg === '') return '""';
  if (!new RegExp(`[${GO_SPACE}]`).test(arg)) return arg;
  const escapes: Record<string, string> = {
    '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\',
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

// ---------------------------------------------------------------------------------------------
// The repo-server: plugin selection, error wrapping and the manifest cache

/** A failed GenerateManifest as the controller receives it; `message` is the repo-server's text. */
export class ManifestGenerationError extends Error {
  override name = 'ManifestGenerationError';
  constructor(
    message: string,
    /** True when served from the failure cache without running anything. */
    readonly cached: boolean,
  ) {
    super(message);
  }
}

export interface RepoServerOptions {
  /** The sidecars, selected by `<name>` or `<name>-<version>`. */
  plugins: CmpServer[];
  /** repoURL -> local directory holding that repository's files. */
  repositories: Record<string, string>;
  cluster?: ClusterInfo;
  argocdNamespace?: string;
  /** ARGOCD_REPO_SERVER_PAUSE_GEN_AFTER_FAILED_ATTEMPTS. Default 3. */
  pauseAfterFailures?: number;
  /** ARGOCD_REPO_SERVER_PAUSE_GEN_MINUTES. Default 60. */
  pauseMinutes?: number;
  /** The clock, for pause and 24 h cache expiry. */
  now?: () => number;
}

/** A successful GenerateManifest. */
export interface ManifestResponse {
  manifests: Record<string, unknown>[];
  revision: string;
  /** True when served from the cache without running the plugin. */
  cached: boolean;
}

interface CacheEntry {
  response?: ManifestResponse;
  consecutiveFailures: number;
  firstFailureAt: number;
  mostRecentError: string;
  expiresAt: number;
}

const CACHE_TTL_MS = 24 * 60 * 60 * 1000;

/** The repo-server in front of the sidecars, with Argo CD's manifest cache. */
export class RepoServerImitation {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cluster: ClusterInfo;
  private readonly now: () => number;

  constructor(private readonly options: RepoServerOptions) {
    this.cluster = options.cluster ?? { kubeVersion: '1.31.2', apiVersions: ['v1', 'v1/ConfigMap', 'apps/v1', 'apps/v1/Deployment'] };
    this.now = options.now ?? Date.now;
  }

  /**
   * GenerateManifest: a normal refresh may be answered from the cache; a hard refresh (NoCache) always runs. `cluster` is
   * what the controller sends (its discovery; part of the key), `deadlineAt` the end of the controller's gRPC context
   * (controller.repo.server.timeout.seconds from the comparison's start), which the sidecar's commands inherit.
   */
  async generate(app: Application, opts: { refresh?: 'normal' | 'hard'; cluster?: ClusterInfo; deadlineAt?: number } = {}): Promise<ManifestResponse> {
    const cluster = opts.cluster ?? this.cluster;
    const key = this.cacheKey(app, cluster);
    if (opts.refresh !== 'hard') {
      const hit = this.cached(key);
      if (hit !== undefined) return hit;
    }
    const repoDir = await this.checkout(app);
    try {
      const manifests = await this.run(app, repoDir, cluster, opts.deadlineAt);
      const response = { manifests, revision: app.revision, cached: false };
      this.cache.set(key, { response, consecutiveFailures: 0, firstFailureAt: 0, mostRecentError: '', expiresAt: this.now() + CACHE_TTL_MS });
      return response;
    } catch (e) {
      const error = message(e);
      const entry = this.live(key) ?? { consecutiveFailures: 0, firstFailureAt: 0, mostRecentError: '', expiresAt: 0 };
      if (entry.firstFailureAt === 0) entry.firstFailureAt = this.now();
      entry.consecutiveFailures++;
      entry.mostRecentError = error;
      entry.expiresAt = this.now() + CACHE_TTL_MS;
      this.cache.set(key, entry);
      throw new ManifestGenerationError(error, false);
    }
  }

  // getManifestCacheEntry: a success is returned, a paused failure is thrown, anything else means "run".
  private cached(key: string): ManifestResponse | undefined {
    const entry = this.live(key);
    if (entry === undefined) return undefined;
    const pauseAfter = this.options.pauseAfterFailures ?? 3;
    if (pauseAfter > 0 && entry.firstFailureAt > 0) {
      if (entry.consecutiveFailures < pauseAfter) return undefined;
      const pauseMinutes = this.options.pauseMinutes ?? 60;
      if (pauseMinutes > 0 && Math.floor((this.now() - entry.firstFailureAt) / 60_000) >= pauseMinutes) {
        this.cache.delete(key);
        return undefined;
      }
      throw new ManifestGenerationError(`Manifest generation error (cached): ${entry.mostRecentError}`, true);
    }
    return entry.response === undefined ? undefined : { ...entry.response, cached: true };
  }

  // A cache entry that has not expired (Redis TTL).
  private live(key: string): CacheEntry | undefined {
    const entry = this.cache.get(key);
    if (entry !== undefined && entry.expiresAt <= this.now()) this.cache.delete(key);
    return this.cache.get(key);
  }

  // NewManifestKey: revision, whole source, destination namespace, instance name, cluster version and APIs (not the project).
  private cacheKey(app: Application, cluster: ClusterInfo): string {
    return goJson([
      app.revision,
      app.source,
      app.destinationNamespace ?? '',
      instanceName(app, this.options.argocdNamespace ?? 'argocd'),
      cluster,
    ]);
  }

  // runRepoOperation's checkout and apppathutil.Path; these errors are not counted as generation failures.
  private async checkout(app: Application): Promise<string> {
    const repoDir = this.options.repositories[app.source.repoURL];
    if (repoDir === undefined) throw new ManifestGenerationError(`repository not found: ${app.source.repoURL}`, false);
    const stat = await fs.stat(path.join(repoDir, app.source.path)).catch(() => undefined);
    if (stat === undefined) throw new ManifestGenerationError(`${app.source.path}: app path does not exist`, false);
    if (!stat.isDirectory()) throw new ManifestGenerationError(`${app.source.path}: app path is not a directory`, false);
    return repoDir;
  }

  // GenerateManifests for a plugin source, with the repo-server's error wrapping.
  private async run(app: Application, repoDir: string, cluster: ClusterInfo, deadlineAt: number | undefined): Promise<Record<string, unknown>[]> {
    const prefix = `CMP processing failed for application "${instanceName(app, this.options.argocdNamespace ?? 'argocd')}": `;
    const sidecar = this.select(app.source.plugin?.name ?? '');
    if (typeof sidecar === 'string') throw new Error(prefix + sidecar);
    const env = buildRequestEnv(app, cluster, this.options.argocdNamespace);
    let response: CmpResponse;
    try {
      response = await sidecar.generate({ repoDir, appPath: app.source.path, env, ...(deadlineAt === undefined ? {} : { deadlineAt }) });
    } catch (e) {
      throw new Error(`${prefix}error generating manifests in cmp: rpc error: code = Unknown desc = error generating manifests: ${message(e)}`, { cause: e });
    }
    try {
      return toManifests(response.documents);
    } catch (e) {
      // items errors escape GenerateManifests unwrapped; conversion errors carry the CMP prefix.
      throw new Error(message(e).startsWith('items member') ? message(e) : prefix + message(e), { cause: e });
    }
  }

  // DetectConfigManagementPlugin without discovery: a named plugin must exist; an unnamed one is the only sidecar.
  private select(name: string): CmpServer | string {
    if (name === '') {
      const [only, ...others] = this.options.plugins;
      return only !== undefined && others.length === 0 ? only : 'could not find plugin supporting the given repository';
    }
    return (
      this.options.plugins.find((p) => p.socketName === name) ??
      `could not find cmp-server plugin with name "${name}" supporting the given repository`
    );
  }
}
