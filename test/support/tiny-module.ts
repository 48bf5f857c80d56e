// Small distinct wasm modules for source tests: the header plus a custom section naming them, so each has its own digest.

import { gzipSync } from 'node:zlib';
import { appendCustomSection } from './sign.js';

/** A valid (empty) wasm module whose bytes differ per `label`, padded with `padding` extra bytes. */
export function tinyModule(label: string, padding = 0): Uint8Array {
  const header = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  return appendCustomSection(header, 'jetway.test', Buffer.concat([Buffer.from(label), Buffer.alloc(padding)]));
}

/** The module gzipped. */
export function gzip(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(bytes));
}
