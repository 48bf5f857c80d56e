// The size bounds on a module source, and the one line each ends in when passed.

import { ModuleError } from './errors.js';

/** Default bound on a module's downloaded and decompressed size (JETWAY_MAX_MODULE_BYTES): Go flights are tens of MB, and serve keeps modules and their compiled code within 512Mi. */
export const defaultMaxModuleBytes = 128 * 1024 * 1024;

/** Default bound on an OCI manifest (JETWAY_MAX_OCI_MANIFEST_BYTES): registries themselves refuse manifests over 4 MiB. */
export const defaultMaxOciManifestBytes = 4 * 1024 * 1024;

/** A module (compressed or not) past JETWAY_MAX_MODULE_BYTES. */
export function moduleTooLarge(source: string, limit: number, how: 'is' | 'decompresses to'): ModuleError {
  return new ModuleError('too-large', `module ${source} ${how} more than ${limit} bytes (JETWAY_MAX_MODULE_BYTES): use a smaller module, or ask an admin to raise JETWAY_MAX_MODULE_BYTES`);
}

/** An OCI manifest past JETWAY_MAX_OCI_MANIFEST_BYTES. */
export function manifestTooLarge(source: string, registry: string, limit: number): ModuleError {
  return new ModuleError(
    'too-large',
    `module ${source}: registry ${registry} served a manifest larger than ${limit} bytes (JETWAY_MAX_OCI_MANIFEST_BYTES); a yoke artifact's manifest is under 1 KiB: check the reference, or ask an admin to raise JETWAY_MAX_OCI_MANIFEST_BYTES`,
  );
}
