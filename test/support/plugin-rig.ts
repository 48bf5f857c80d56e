// jetway as Argo CD runs it, for tests that play an Application author: a repository the author controls, the real
// plugin.yaml in a cmp-server imitation, a repo-server in front, the fake API server behind, and the admin's sidecar env.

import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CmpServer, RepoServerImitation, readPluginConfig, type Application, type PluginParameter } from './cmp-server.js';
import type { FakeApiServer } from './apiserver.js';
import { repoPath } from './paths.js';

export interface PluginRig {
  /** The author's repository on disk (files relative to its root). */
  source: string;
  /** A repo-server whose jetway sidecar runs with the base env plus `adminEnv` (the admin's JETWAY_* settings). */
  repoServer(adminEnv?: Record<string, string>): RepoServerImitation;
  /** An Application of the author's, destination namespace `team-a` unless given. */
  app(name: string, path: string, parameters: PluginParameter[], destinationNamespace?: string): Application;
  close(): Promise<void>;
}

export const rigRepoURL = 'https://git.example/tenant.git';

// Why: every tenant test must go through Argo CD's own path (plugin.yaml, cmp-server env, repo-server error text), so one rig builds it.
export async function startPluginRig(api: FakeApiServer, files: Record<string, string | Uint8Array>): Promise<PluginRig> {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-tenant-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  // the sidecar image has `jetway` on PATH; here a shim runs the built CLI
  await writeFile(join(bin, 'jetway'), `#!/bin/sh\nexec "${process.execPath}" "${repoPath('dist/src/cli/main.js')}" "$@"\n`);
  await chmod(join(bin, 'jetway'), 0o755);
  await symlink(repoPath('bin/jetway-generate'), join(bin, 'jetway-generate')); // plugin.yaml's command; no service here, so it runs `jetway`
  const source = join(dir, 'repo');
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(source, file)), { recursive: true });
    await writeFile(join(source, file), content);
  }
  const plugin = await readPluginConfig(repoPath('plugin.yaml'));
  const sidecars: CmpServer[] = [];
  return {
    source,
    repoServer(adminEnv = {}) {
      const baseEnv = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: dir, JETWAY_KUBECONFIG: api.kubeconfig(), JETWAY_CACHE_DIR: join(dir, 'cache') };
      const cmp = new CmpServer({ plugin, baseEnv: { ...baseEnv, ...adminEnv }, deadlineMs: 60_000, killGraceMs: 500 });
      sidecars.push(cmp);
      return new RepoServerImitation({ plugins: [cmp], repositories: { [rigRepoURL]: source } });
    },
    app(name, path, parameters, destinationNamespace = 'team-a') {
      return { name, project: 'default', destinationNamespace, revision: 'a'.repeat(40), source: { repoURL: rigRepoURL, path, targetRevision: 'HEAD', plugin: { name: 'jetway', parameters } } };
    },
    async close() {
      await Promise.all(sidecars.map((s) => s.settle()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The jetway part of a ComparisonError: what Argo CD shows after the cmp-server's prefix. */
export function jetwayLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const at = text.indexOf('jetway: ');
  return at < 0 ? text : text.slice(at);
}
