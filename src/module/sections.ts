// A minimal reader and writer for the wasm binary's section list: enough to cap memory and find custom sections.

import { ModuleError } from './errors.js';

export interface Section {
  id: number;
  /** Byte range of the section's payload within the module. */
  start: number;
  end: number;
  /** Byte range of the whole section, header included. */
  headerStart: number;
}

const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Reads an unsigned LEB128 at `offset`; an `invalid` ModuleError when it is cut off or longer than 5 bytes. */
export function readU32(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < bytes.length && i < offset + 5; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  throw new ModuleError('invalid', `malformed LEB128 at byte ${offset}`);
}

/** Encodes an unsigned LEB128. */
export function writeU32(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** True when the bytes start like a wasm module (used to tell a module from gzip or HTML). */
export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && magic.every((b, i) => bytes[i] === b);
}

/** Lists the sections; a truncated or non-wasm file is an `invalid` ModuleError whose message callers prefix with the module's name. */
export function readSections(bytes: Uint8Array): Section[] {
  if (!isWasm(bytes)) throw new ModuleError('invalid', 'not a WebAssembly module (bad magic number or version)');
  const sections: Section[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const id = bytes[offset]!;
    const size = readU32(bytes, offset + 1);
    const end = size.next + size.value;
    if (end > bytes.length) throw new ModuleError('invalid', `section ${id} at byte ${offset} runs past the end of the module`);
    sections.push({ id, start: size.next, end, headerStart: offset });
    offset = end;
  }
  return sections;
}

/** The name of a custom section (id 0). */
export function customName(bytes: Uint8Array, section: Section): string {
  const len = readU32(bytes, section.start);
  return new TextDecoder().decode(bytes.subarray(len.next, len.next + len.value));
}

/** Rebuilds a module with one section's payload replaced (or removed when `payload` is undefined). */
export function replaceSection(bytes: Uint8Array, section: Section, payload: Uint8Array | undefined): Uint8Array {
  const before = bytes.subarray(0, section.headerStart);
  const after = bytes.subarray(section.end);
  if (!payload) return concat([before, after]);
  return concat([before, Uint8Array.of(section.id, ...writeU32(payload.length)), payload, after]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
