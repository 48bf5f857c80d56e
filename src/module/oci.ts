// Pulls a yoke flight artifact (one application/vnd.yoke.wasm.gzip layer) over the OCI distribution API.

import { manifestTooLarge, moduleTooLarge } from './bounds.js';
import { sha256 } from './digest.js';
import { ModuleError, reason } from './errors.js';
import { readBounded } from './fetch-bounded.js';
import { decompress } from './gzip.js';
import { registryGet, type RegistrySession } from './registry-client.js';

/** yoke's media types (internal/oci/oci.go). */
const yokeConfigMediaType = 'application/vnd.yoke.config.v1+json';
const yokeWasmMediaType = 'application/vnd.yoke.wasm.gzip';

const manifestAccept = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

export interface ResolvedManifest {
  /** sha256:<hex> of the manifest bytes: what the tag points at now. */
  digest: string;
  /** sha256:<hex> of the gzipped wasm layer. */
  layerDigest: string;
}

interface Descriptor {
  mediaType?: unknown;
  digest?: unknown;
}

/** Reads the manifest the tag or digest names and finds the wasm layer; a pinned digest must match the bytes served. */
export async function resolveManifest(session: RegistrySession, maxBytes: number): Promise<ResolvedManifest> {
  const { ref, source } = session;
  const reference = ref.digest ?? ref.tag!;
  const response = await registryGet(session, `/v2/${ref.repository}/manifests/${reference}`, manifestAccept, `the manifest ${reference}`);
  const bytes = await readBody(session, response, maxBytes, manifestTooLarge(source, ref.registry, maxBytes), `the manifest ${reference}`);
  const digest = `sha256:${sha256(bytes)}`;
  if (ref.digest !== undefined && ref.digest !== digest) {
    throw new ModuleError('refused', `module ${source}: registry ${ref.registry} served a manifest with digest ${digest}, not the one pinned; refusing it`);
  }
  let manifest: { config?: Descriptor; layers?: Descriptor[]; mediaType?: unknown };
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes)) as typeof manifest;
  } catch (error) {
    throw new ModuleError('invalid', `module ${source}: registry ${ref.registry} served a manifest that is not JSON`, { cause: error });
  }
  if (manifest.config?.mediaType !== yokeConfigMediaType) {
    throw new ModuleError(
      'invalid',
      `module ${source} is not a yoke flight artifact: its config media type is ${String(manifest.config?.mediaType ?? manifest.mediaType)}, expected ${yokeConfigMediaType} (push it with yoke stow)`,
    );
  }
  const layer = (manifest.layers ?? []).find((l) => l.mediaType === yokeWasmMediaType);
  if (typeof layer?.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(layer.digest)) {
    throw new ModuleError('invalid', `module ${source} has no ${yokeWasmMediaType} layer with a sha256 digest in its manifest`);
  }
  return { digest, layerDigest: layer.digest };
}

/** Downloads the wasm layer, checks its bytes against the manifest's digest, and gunzips it; both sizes bounded by `maxBytes`. */
export async function pullLayer(session: RegistrySession, layerDigest: string, maxBytes: number): Promise<Uint8Array> {
  const { ref, source } = session;
  const response = await registryGet(session, `/v2/${ref.repository}/blobs/${layerDigest}`, '*/*', `the layer ${layerDigest}`);
  const blob = await readBody(session, response, maxBytes, moduleTooLarge(source, maxBytes, 'is'), `the layer ${layerDigest}`);
  const got = `sha256:${sha256(blob)}`;
  if (got !== layerDigest) throw new ModuleError('refused', `module ${source}: registry ${ref.registry} served layer bytes with digest ${got}, expected ${layerDigest}; refusing them`);
  return decompress(blob, source, true, maxBytes);
}

/** A registry body up to `maxBytes`; a connection that breaks midway names the registry. */
async function readBody(session: RegistrySession, response: Response, maxBytes: number, tooLarge: Error, what: string): Promise<Uint8Array> {
  return readBounded(response, maxBytes, () => tooLarge).catch((error: unknown) => {
    throw error === tooLarge ? tooLarge : new ModuleError('unreachable', `registry ${session.ref.registry} broke off ${what} of ${session.source}: ${reason(error)}`, { cause: error });
  });
}
