// Reads plugin.yaml the way argo-cd's cmpserver/plugin/config.go does.

import { promises as fs } from 'node:fs';
import yaml from 'js-yaml';
import type { PluginCommand, PluginConfig } from './types.js';

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
