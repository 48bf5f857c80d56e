// Runs Debian's docker-registry (distribution 2.8) on a random loopback port for OCI tests, and pushes yoke artifacts to it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Registry {
  /** 127.0.0.1:<port> */
  host: string;
  stop(): Promise<void>;
}

export interface TokenAuth {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
}

/** Starts the registry with filesystem storage in a temp dir; with `auth`, it requires tokens from that token server. */
export async function startRegistry(auth?: TokenAuth): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'jetway-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log: {level: error, accesslog: {disabled: true}}',
    `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
    `http: {addr: "127.0.0.1:${port}", secret: jetway-test-secret}`,
  ];
  if (auth) lines.push(`auth: {token: {realm: "${auth.realm}", service: ${auth.service}, issuer: ${auth.issuer}, rootcertbundle: ${auth.certFile}}}`);
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const host = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await kill(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(host, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, stop };
}

export interface PushOptions {
  /** An Authorization header value (e.g. Bearer <token>) sent with every request. */
  authorization?: string;
}

/** Pushes `gzipped` as a yoke flight artifact (yoke's config and layer media types) to host/repo:tag; returns the manifest digest. */
export async function pushArtifact(host: string, repo: string, tag: string, gzipped: Uint8Array, options: PushOptions = {}): Promise<string> {
  const headers: Record<string, string> = options.authorization ? { authorization: options.authorization } : {};
  const config = new TextEncoder().encode('{}');
  const configDigest = await pushBlob(host, repo, config, headers);
  const layerDigest = await pushBlob(host, repo, gzipped, headers);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.yoke.config.v1+json', digest: configDigest, size: config.length },
    layers: [{ mediaType: 'application/vnd.yoke.wasm.gzip', digest: layerDigest, size: gzipped.length }],
  });
  const response = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (response.status !== 201) throw new Error(`manifest push answered ${response.status}: ${await response.text()}`);
  return `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
}

/** The two-step blob upload: POST starts a session, PUT with ?digest= completes it. */
async function pushBlob(host: string, repo: string, bytes: Uint8Array, headers: Record<string, string>): Promise<string> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`blob upload start answered ${start.status}: ${await start.text()}`);
  const location = new URL(start.headers.get('location') ?? '', `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: bytes as Uint8Array<ArrayBuffer> });
  if (put.status !== 201) throw new Error(`blob upload answered ${put.status}: ${await put.text()}`);
  return digest;
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls /v2/ until the registry answers (200, or 401 with auth), failing with its stderr if it exits. */
async function waitUntilUp(host: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    const status = await fetch(`http://${host}/v2/`)
      .then((r) => (r.body?.cancel(), r.status))
      .catch(() => 0);
    if (status === 200 || status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not answer on ${host} within 10s: ${stderr()}`);
}

/** SIGTERM, then SIGKILL after 3 s, resolving when the process is gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
