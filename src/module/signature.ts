// JETWAY_VERIFY_KEYS: modules must carry a yoke signature (internal/xcrypto VerifyModule) made by one of the admin's keys.

import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ModuleError, reason } from './errors.js';
import { customName, readSections, readU32, type Section } from './sections.js';

const signatureSection = 'yoke.schematics:signature';
const supported = new Set(['rsa', 'rsa-pss', 'ec', 'ed25519']);

/** Public keys by yoke fingerprint: sha256 hex of the key bits of the SubjectPublicKeyInfo. */
export type KeySet = Map<string, KeyObject>;

/** Parses PEM keys (PUBLIC KEY, RSA PUBLIC KEY, or a private key whose public half is used) into a KeySet. */
export function parseKeys(pems: readonly string[]): KeySet {
  const keys: KeySet = new Map();
  pems.forEach((pem, index) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (error) {
      throw new ModuleError('refused', `verification key ${index + 1} is not a PEM public key: ${reason(error)} (fix JETWAY_VERIFY_KEYS)`, { cause: error });
    }
    if (!supported.has(key.asymmetricKeyType ?? '')) {
      throw new ModuleError('refused', `verification key ${index + 1} is a ${key.asymmetricKeyType} key; yoke signs with RSA, ECDSA or Ed25519 (fix JETWAY_VERIFY_KEYS)`);
    }
    keys.set(keyFingerprint(key), key);
  });
  return keys;
}

/** yoke's PublicFingerprint: sha256 hex of the BIT STRING bytes inside the DER SubjectPublicKeyInfo. */
export function keyFingerprint(key: KeyObject): string {
  const spki = key.export({ type: 'spki', format: 'der' });
  const outer = readTlv(spki, 0);
  const algorithm = readTlv(spki, outer.start);
  const bits = readTlv(spki, algorithm.end);
  if (outer.tag !== 0x30 || algorithm.tag !== 0x30 || bits.tag !== 0x03) throw new ModuleError('refused', 'a verification key has an unexpected SubjectPublicKeyInfo layout (fix JETWAY_VERIFY_KEYS)');
  return createHash('sha256')
    .update(spki.subarray(bits.start + 1, bits.end))
    .digest('hex');
}

/** Fails unless the module's signature section verifies with one of `keys` over sha256 of the module without that section. */
export function checkSignature(source: string, bytes: Uint8Array, keys: KeySet): void {
  let signature: { section: Section; payloadStart: number } | undefined;
  try {
    signature = signatureSectionOf(bytes);
  } catch (error) {
    throw new ModuleError('invalid', `module ${source} is not a well-formed wasm module, so its signature cannot be checked: ${reason(error)}`, { cause: error });
  }
  if (!signature) throw new ModuleError('refused', `module ${source} is unsigned, but JETWAY_VERIFY_KEYS requires a signature (sign it with yoke sign)`);
  const { section, payloadStart } = signature;
  const unsigned = new Uint8Array(bytes.length - (section.end - section.headerStart));
  unsigned.set(bytes.subarray(0, section.headerStart));
  unsigned.set(bytes.subarray(section.end), section.headerStart);
  const payload = parsePayload(source, bytes.subarray(payloadStart, section.end));
  const key = keys.get(payload.fingerprint);
  if (!key) throw new ModuleError('refused', `module ${source} is signed by key ${payload.fingerprint}, which is not among the JETWAY_VERIFY_KEYS keys`);
  if (!verifies(key, unsigned, payload.signature)) {
    throw new ModuleError('refused', `module ${source} has an invalid signature for key ${payload.fingerprint}: the module was changed after signing`);
  }
}

/** yoke's signature section and where its payload starts (after the section's name), or undefined when unsigned; throws on malformed sections. */
function signatureSectionOf(bytes: Uint8Array): { section: Section; payloadStart: number } | undefined {
  const section = readSections(bytes).find((s) => s.id === 0 && customName(bytes, s) === signatureSection);
  if (!section) return undefined;
  const name = readU32(bytes, section.start);
  return { section, payloadStart: name.next + name.value };
}

/** The section's JSON `{Fingerprint, Signature}`; Signature is base64 because Go marshals []byte that way. */
function parsePayload(source: string, data: Uint8Array): { fingerprint: string; signature: Buffer } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch (error) {
    throw new ModuleError('invalid', `module ${source} has a malformed signature section: ${reason(error)}`, { cause: error });
  }
  const record = (parsed ?? {}) as { Fingerprint?: unknown; Signature?: unknown };
  if (typeof record.Fingerprint !== 'string' || typeof record.Signature !== 'string') {
    throw new ModuleError('invalid', `module ${source} has a malformed signature section: expected JSON {"Fingerprint": string, "Signature": base64}`);
  }
  return { fingerprint: record.Fingerprint, signature: Buffer.from(record.Signature, 'base64') };
}

/** The three schemes yoke signs with: RSA-PSS and ECDSA over sha256(module), Ed25519 over the 32-byte digest itself. */
function verifies(key: KeyObject, unsigned: Uint8Array, signature: Buffer): boolean {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return verify('sha256', unsigned, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
    case 'ec':
      return verify('sha256', unsigned, key, signature);
    case 'ed25519':
      return verify(null, createHash('sha256').update(unsigned).digest(), key, signature);
    default:
      return false;
  }
}

/** One DER element: its tag and the byte range of its contents. */
function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  return { tag, start, end: start + length };
}
