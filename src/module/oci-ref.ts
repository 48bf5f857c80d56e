// Parses oci://registry/repository[:tag][@sha256:hex] the way yoke's go-containerregistry names do (Docker Hub defaults included).

import { ModuleError } from './errors.js';

export interface OciRef {
  /** The registry as written (or docker.io), used for credentials and messages. */
  registry: string;
  /** The host[:port] the distribution API is served on. */
  apiHost: string;
  repository: string;
  /** The tag, when no digest pins the artifact. */
  tag: string | undefined;
  /** `sha256:<hex>` when the reference is pinned. */
  digest: string | undefined;
}

const repositoryPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;

/** Splits an oci:// URL into registry, repository and tag or digest; a bare name means Docker Hub, no tag means latest. */
export function parseOciRef(url: string): OciRef {
  const rest = url.slice('oci://'.length);
  const fail = (why: string): never => {
    throw new ModuleError('invalid', `module ${url} is not a valid OCI reference: ${why} (expected oci://registry/repository:tag or @sha256:<hex>)`);
  };
  const at = rest.indexOf('@');
  const name = at < 0 ? rest : rest.slice(0, at);
  const digest = at < 0 ? undefined : rest.slice(at + 1);
  if (digest !== undefined && !digestPattern.test(digest)) fail(`digest ${digest} is not sha256:<64 hex>`);
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const registry = isHost ? first : 'docker.io';
  let path = isHost ? name.slice(slash + 1) : name;
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/')) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!tagPattern.test(tag)) fail(`tag ${tag} has characters a tag cannot have`);
  }
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!repositoryPattern.test(path)) fail(`repository ${path || '(empty)'} must be lower-case path components`);
  return {
    registry,
    apiHost: registry === 'docker.io' ? 'registry-1.docker.io' : registry,
    repository: path,
    tag: digest === undefined ? (tag ?? 'latest') : undefined,
    digest,
  };
}

/** The reference pinned to a manifest digest, the cache's immutable key for a tag once resolved. */
export function pinnedRef(ref: OciRef, digest: string): string {
  return `oci://${ref.registry}/${ref.repository}@${digest}`;
}
