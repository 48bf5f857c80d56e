// GETs against an OCI registry, answering its 401 challenge once: Bearer tokens from the realm, or Basic, with docker-config credentials.

import { registryCredentials, type Credentials } from './docker-config.js';
import { ModuleError, oneLine, reason } from './errors.js';
import { fetchFollowing, readBounded } from './fetch-bounded.js';
import type { OciRef } from './oci-ref.js';

export interface RegistrySession {
  ref: OciRef;
  /** The oci:// URL as the user wrote it, for messages. */
  source: string;
  /** http when `insecure`, else https. */
  base: string;
  dockerConfigDir: string;
  signal: AbortSignal | undefined;
  /** The Authorization header earned by the first challenge, reused for the blob. */
  authorization?: string;
}

/** Starts a session for one pull. */
export function openSession(ref: OciRef, source: string, insecure: boolean, dockerConfigDir: string, signal: AbortSignal | undefined): RegistrySession {
  return { ref, source, base: `${insecure ? 'http' : 'https'}://${ref.apiHost}`, dockerConfigDir, signal };
}

/** GET `path` on the registry, authenticating once when challenged; any non-2xx after that is an error naming what was asked. */
export async function registryGet(session: RegistrySession, path: string, accept: string, what: string): Promise<Response> {
  let response = await send(session, `${session.base}${path}`, accept, what);
  if (response.status === 401 && session.authorization === undefined) {
    session.authorization = await answerChallenge(session, response.headers.get('www-authenticate') ?? '');
    await response.body?.cancel();
    response = await send(session, `${session.base}${path}`, accept, what);
  }
  if (response.ok) return response;
  await response.body?.cancel();
  const host = session.ref.registry;
  const status = `${response.status} ${response.statusText}`.trim();
  if (response.status === 401 || response.status === 403) {
    throw new ModuleError('unauthorized', `registry ${host} refused access to ${what} of ${session.source} (${status}): check the credentials for ${host} in ${session.dockerConfigDir}/config.json`);
  }
  if (response.status === 404) throw new ModuleError('not-found', `module ${session.source} not found: registry ${host} answered 404 for ${what} (check the repository and tag)`);
  if (response.status >= 500) throw new ModuleError('unreachable', `registry ${host} answered ${status} for ${what} of ${session.source}: the registry is failing, retry later`);
  throw new ModuleError('invalid', `registry ${host} answered ${status} for ${what} of ${session.source}`);
}

/** One fetch (blob redirects to storage followed, Authorization kept to the registry's origin), turning connection failures into a message that names the registry and hints at `insecure`. */
async function send(session: RegistrySession, url: string, accept: string, what: string): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (session.authorization) headers.authorization = session.authorization;
  try {
    return await fetchFollowing(url, { headers, signal: session.signal, what: `${what} of ${session.source}` });
  } catch (error) {
    const hint = session.base.startsWith('https') ? ' (if the registry serves plain http, set the insecure parameter)' : '';
    throw new ModuleError(error instanceof ModuleError ? error.kind : 'unreachable', `cannot reach registry ${session.ref.registry} for ${what} of ${session.source}: ${reason(error)}${hint}`, {
      cause: error,
    });
  }
}

/**
 * Builds the Authorization header the challenge asks for: Basic from credentials, or a Bearer token from the realm.
 * The admin's credentials only ever travel over https: over plain http (`insecure`, or an http realm) only anonymous pulls work.
 */
async function answerChallenge(session: RegistrySession, header: string): Promise<string> {
  const host = session.ref.registry;
  const challenge = parseChallenge(header);
  if (challenge.scheme === 'basic') {
    if (!session.base.startsWith('https:')) throw plainHttpRefused(session, session.base);
    const credentials = await registryCredentials(session.dockerConfigDir, host);
    if (!credentials) throw new ModuleError('unauthorized', `registry ${host} requires credentials for ${session.source}: add them for ${host} to ${session.dockerConfigDir}/config.json`);
    return basic(credentials);
  }
  if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
    throw new ModuleError('unauthorized', `registry ${host} answered 401 with an unsupported challenge "${oneLine(header)}" for ${session.source}`);
  }
  const realm = parseRealm(session, challenge.params.realm);
  const secure = realm.protocol === 'https:' && session.base.startsWith('https:');
  const credentials = secure ? await registryCredentials(session.dockerConfigDir, host) : undefined;
  return `Bearer ${await fetchToken(session, realm, challenge.params, credentials)}`;
}

/** The token realm as a URL; a malformed one is the registry's fault, named as such. */
function parseRealm(session: RegistrySession, realm: string): URL {
  try {
    return new URL(realm);
  } catch (error) {
    throw new ModuleError('unauthorized', `registry ${session.ref.registry} answered 401 with a token realm that is not a URL for ${session.source}`, { cause: error });
  }
}

/** Why a pull that needs credentials fails over plain http: jetway will not send them there. */
function plainHttpRefused(session: RegistrySession, where: string): ModuleError {
  const host = session.ref.registry;
  return new ModuleError(
    'refused',
    `registry ${host} asks for credentials for ${session.source}, and jetway never sends registry credentials over plain http (${where}): serve the registry and its token server over https and drop the insecure parameter, or make the repository anonymous`,
  );
}

/** Asks the token server for a pull token (the distribution token protocol), anonymously or with Basic credentials. */
async function fetchToken(session: RegistrySession, url: URL, params: Record<string, string>, credentials: Credentials | undefined): Promise<string> {
  const host = session.ref.registry;
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', params.scope ?? `repository:${session.ref.repository}:pull`);
  const headers: Record<string, string> = credentials ? { authorization: basic(credentials) } : {};
  let response: Response;
  try {
    response = await fetchFollowing(url.href, { headers, signal: session.signal, what: `the token request of ${session.source}` });
  } catch (error) {
    throw new ModuleError(error instanceof ModuleError ? error.kind : 'unreachable', `cannot reach the token server ${url.origin} of registry ${host}: ${reason(error)}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    const plain = url.protocol !== 'https:' || !session.base.startsWith('https:');
    if (!credentials && plain && (response.status === 401 || response.status === 403)) throw plainHttpRefused(session, session.base.startsWith('https:') ? url.origin : session.base);
    const advice = credentials ? 'check the credentials' : 'add credentials';
    throw new ModuleError(
      'unauthorized',
      `the token server of registry ${host} answered ${response.status} ${response.statusText} for ${session.source}: ${advice} for ${host} in ${session.dockerConfigDir}/config.json`,
    );
  }
  const text = await readBounded(
    response,
    maxTokenBytes,
    () => new ModuleError('unauthorized', `the token server of registry ${host} answered more than ${maxTokenBytes} bytes for ${session.source}`),
  );
  const body = (parseJson(text) ?? {}) as { token?: unknown; access_token?: unknown };
  const token = typeof body.token === 'string' ? body.token : body.access_token;
  if (typeof token !== 'string' || token === '') throw new ModuleError('unauthorized', `the token server of registry ${host} returned no token for ${session.source}`);
  return token;
}

/** A token answer is a few KiB; a server streaming more is refused, not read whole. */
const maxTokenBytes = 1024 * 1024;

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** Parses `Bearer realm="..",service="..",scope=".."` (quoted or bare values). */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const match of header.slice(space + 1).matchAll(/([a-zA-Z_]+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    params[match[1]!.toLowerCase()] = match[2] ?? match[3] ?? '';
  }
  return { scheme, params };
}

function basic(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
