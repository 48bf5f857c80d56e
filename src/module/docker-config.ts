// Registry credentials from the docker config file, as yokecd reads them (DOCKER_CONFIG, else ~/.docker).

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ModuleError, reason } from './errors.js';

export interface Credentials {
  username: string;
  password: string;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

/** The directory holding config.json: the explicit one (DOCKER_CONFIG, read by src/settings), else ~/.docker. */
export function dockerConfigDir(explicit: string | undefined): string {
  return explicit ?? join(homedir(), '.docker');
}

/** Credentials for `host` from `<dir>/config.json`, or undefined when there is no file or no entry (anonymous pull). */
export async function registryCredentials(dir: string, host: string): Promise<Credentials | undefined> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModuleError('unauthorized', `cannot read docker config ${file}: ${reason(error)}`, { cause: error });
  }
  let auths: Record<string, AuthEntry>;
  try {
    auths = (JSON.parse(text) as { auths?: Record<string, AuthEntry> }).auths ?? {};
  } catch (error) {
    throw new ModuleError('unauthorized', `docker config ${file} is not valid JSON: ${reason(error)} (fix or remove it)`, { cause: error });
  }
  const entry = Object.entries(auths).find(([key]) => hostOf(key) === hostOf(host))?.[1];
  return entry ? toCredentials(entry, file, host) : undefined;
}

/** Decodes `auth` (base64 user:pass) or takes `username`/`password`. */
function toCredentials(entry: AuthEntry, file: string, host: string): Credentials | undefined {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new ModuleError('unauthorized', `docker config ${file} has an auth for ${host} that is not base64 user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  return undefined;
}

/** Keys may be `host`, `host:port`, or URLs like `https://index.docker.io/v1/`; Docker Hub has several names. */
function hostOf(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io' ? 'docker.io' : host;
}
