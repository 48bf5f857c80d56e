// maxMemoryMib: rewrite the module's memory maximum before compiling, so the guest's own allocator sees the limit.

import { ModuleError } from './errors.js';
import { readSections, readU32, replaceSection, writeU32 } from './sections.js';

const memorySectionId = 5;
const pagesPerMib = 16;
const maxPages = 65536;

/** Returns the module with every defined memory capped at `mib` MiB; fails when the module needs more to start. */
export function capMemory(bytes: Uint8Array, mib: number): Uint8Array {
  const cap = Math.min(mib * pagesPerMib, maxPages);
  const section = readSections(bytes).find((s) => s.id === memorySectionId);
  if (!section) return bytes; // a module without its own memory (imported memory is refused at compile) has nothing to cap
  const count = readU32(bytes, section.start);
  const out: number[] = [...writeU32(count.value)];
  let offset = count.next;
  for (let i = 0; i < count.value; i++) {
    const flags = bytes[offset]!;
    if (flags > 1) throw new ModuleError('invalid', `memory ${i} uses unsupported limits flags 0x${flags.toString(16)} (shared or 64-bit memory)`);
    const min = readU32(bytes, offset + 1);
    offset = min.next;
    let max = cap;
    if (flags === 1) {
      const declared = readU32(bytes, offset);
      offset = declared.next;
      max = Math.min(declared.value, cap);
    }
    if (min.value > max) {
      throw new ModuleError('too-large', `the flight needs ${Math.ceil(min.value / pagesPerMib)} MiB of memory to start, more than maxMemoryMib ${mib}`);
    }
    out.push(0x01, ...writeU32(min.value), ...writeU32(max));
  }
  return replaceSection(bytes, section, Uint8Array.from(out));
}
