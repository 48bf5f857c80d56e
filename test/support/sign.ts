// Signs a module the way `yoke sign` does (internal/xcrypto SignModule), so tests can prove jetway verifies yoke signatures.

import { constants, createHash, sign, type KeyObject } from 'node:crypto';
import { keyFingerprint } from '../../src/module/signature.js';
import { writeU32 } from '../../src/module/sections.js';

/** Appends a `yoke.schematics:signature` custom section: JSON {Fingerprint, Signature(base64)} over sha256 of `wasm`. */
export function signModule(wasm: Uint8Array, privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  const digest = createHash('sha256').update(wasm).digest();
  let signature: Buffer;
  if (privateKey.asymmetricKeyType === 'ed25519') signature = sign(null, digest, privateKey);
  else if (privateKey.asymmetricKeyType === 'rsa') {
    signature = sign('sha256', wasm, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN });
  } else signature = sign('sha256', wasm, privateKey);
  const payload = Buffer.from(JSON.stringify({ Fingerprint: keyFingerprint(publicKey), Signature: signature.toString('base64') }));
  return appendCustomSection(wasm, 'yoke.schematics:signature', payload);
}

/** A module with one more custom section at the end. */
export function appendCustomSection(wasm: Uint8Array, name: string, data: Uint8Array): Uint8Array {
  const nameBytes = Buffer.from(name);
  const body = Buffer.concat([Buffer.from(writeU32(nameBytes.length)), nameBytes, data]);
  return new Uint8Array(Buffer.concat([wasm, Buffer.from([0, ...writeU32(body.length)]), body]));
}
